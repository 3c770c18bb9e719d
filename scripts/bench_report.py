"""Benchmark the study report: query → PDF file for 200 and 20,000 patients.

    .venv/bin/python scripts/bench_report.py [--small 200] [--large 20000] [--workdir DIR]

Targets (issue): with the app loaded, 200 patients < 1 s and 20,000 patients < 15 s
with < 1 GiB memory. Each measurement runs in a fresh subprocess that loads the app
(timed separately), then builds + renders the PDF: the first (cold) run and the best of
two more (warm). Memory is the subprocess's peak resident set (ru_maxrss), app included.
Also timed: the whole ``flask --app clinic report`` process and its start-up cost.

The 200-patient study is made by ``seed-demo`` (through the services); the 20,000 one
by the BENCHMARK-ONLY bulk generator in clinic/demo/bulk.py.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
FLASK = str(Path(PYTHON).with_name("flask"))
TIMEZONE = "Europe/Berlin"


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "CLINIC_DATABASE_URL": url, "CLINIC_TIMEZONE": TIMEZONE,
            "PYTHONPATH": str(ROOT)}


def _run(args: list[str], url: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, env=_env(url), cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"failed: {' '.join(args)}\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def _fresh_db(path: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    _run([FLASK, "--app", "clinic", "init-db"], url)
    return url


def measure(url: str, study: str, out: str) -> dict[str, float]:
    """Run inside the subprocess: load the app, then time query → PDF file."""
    start = time.perf_counter()
    from clinic import create_app
    from clinic.db import session_scope
    from clinic.reports import ReportFilters, build_report
    from clinic.reports.render import render

    app = create_app()
    loaded = time.perf_counter() - start
    runs = []
    report = None
    with app.app_context():
        for _ in range(3):
            report = None  # the last run's report is not held while the next is built
            t0 = time.perf_counter()
            with session_scope() as session:
                report = build_report(session, study, ReportFilters(as_of=date.today()),
                                      timezone=TIMEZONE)
            built = time.perf_counter() - t0
            Path(out).write_bytes(render(report, "pdf")[0][1])
            runs.append((time.perf_counter() - t0, built))
    assert report is not None
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"app_load_s": loaded, "cold_s": runs[0][0], "cold_build_s": runs[0][1],
            "warm_s": min(r[0] for r in runs[1:]), "warm_build_s": min(r[1] for r in runs[1:]),
            "patients": report.stamp.patients, "peak_rss_mib": peak_kib / 1024}


def _measure_in_subprocess(url: str, study: str, out: Path) -> dict[str, float]:
    _, stdout = _run([PYTHON, __file__, "--measure", url, study, str(out)], url)
    return json.loads(stdout.strip().splitlines()[-1])


def _bulk(url: str, patients: int) -> tuple[float, dict[str, int]]:
    sys.path.insert(0, str(ROOT))
    os.environ.update(_env(url))
    from clinic import create_app
    from clinic.db import session_scope
    from clinic.demo.bulk import bulk_seed

    app = create_app()
    start = time.perf_counter()
    with app.app_context(), session_scope() as session:
        counts = bulk_seed(session, patients)
    return time.perf_counter() - start, counts


def _command(url: str, study: str, out: Path) -> dict[str, float]:
    whole, _ = _run([FLASK, "--app", "clinic", "report", "--study", study, "--format", "pdf",
                     "--out", str(out), "--quiet"], url)
    startup, _ = _run([FLASK, "--app", "clinic", "report", "--help"], url)
    imports, _ = _run([PYTHON, "-c", "import clinic.reports.render.pdf, clinic.reports"], url)
    return {"report_command_s": whole, "startup_help_s": startup, "import_report_s": imports}


def _line(name: str, value: float, unit: str, limit: float | None = None) -> str:
    verdict = "" if limit is None else ("  PASS" if value < limit else f"  FAIL (> {limit})")
    return f"  {name:<44} {value:10.3f} {unit}{verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=20_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/clinic-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    small = _fresh_db(args.workdir / "small.db")
    seeded, _ = _run([FLASK, "--app", "clinic", "seed-demo", "--patients", str(args.small)],
                     small)
    s = _measure_in_subprocess(small, "DEMO", args.workdir / "small.pdf")
    c = _command(small, "DEMO", args.workdir / "command.pdf")
    large = _fresh_db(args.workdir / "large.db")
    bulk_s, counts = _bulk(large, args.large)
    big = _measure_in_subprocess(large, "BENCH", args.workdir / "large.pdf")
    print(f"seed-demo {args.small} patients (services): {seeded:.1f} s")
    print(f"bulk generator {counts} : {bulk_s:.1f} s")
    for label, m, limit in ((f"{s['patients']} patients", s, 1.0),
                            (f"{big['patients']} patients", big, 15.0)):
        print(f"{label}: app load {m['app_load_s']:.2f} s")
        print(_line("query → PDF file, first run after app load", m["cold_s"], "s", limit))
        print(_line("  of which query + statistics + tables", m["cold_build_s"], "s"))
        print(_line("query → PDF file, warm (best of 2)", m["warm_s"], "s", limit))
        print(_line("  of which query + statistics + tables", m["warm_build_s"], "s"))
        print(_line("peak memory of the process", m["peak_rss_mib"], "MiB",
                    1024.0 if limit == 15.0 else None))
    print(f"`flask --app clinic report` process, {s['patients']} patients:")
    print(_line("whole command (start-up + report + write)", c["report_command_s"], "s"))
    print(_line("start-up only (`report --help`)", c["startup_help_s"], "s"))
    print(_line("python -c 'import clinic.reports + pdf renderer'", c["import_report_s"], "s"))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--measure":
        sys.path.insert(0, str(ROOT))
        print(json.dumps(measure(sys.argv[2], sys.argv[3], sys.argv[4])))
    else:
        main()
