"""Benchmark: this checkout's study report against another commit's, on the same database.

    .venv/bin/python scripts/bench_report_versions.py --database FILE.db|URL --against COMMIT
        [--rounds 2] [--format pdf] [--warm] [--hide MODULE]

FILE.db (or a database URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/r200k)
holds the SYNTHETIC bulk-loaded study BENCH (``scripts/bench_scale.py --keep DIR`` leaves
one per size: 20,000 and 200,000 patients). COMMIT's tree is checked out in a
temporary git worktree. Each round builds the report (``build_report``, then rendering
in ``--format``) once with COMMIT's code and once with this checkout's, each in a fresh
process (with ``--warm``: twice in it, the second timed), alternately (A, B, A, B): the
machine is shared, so the two are compared in the same minute. Printed per side: build
and render seconds, the process's peak resident memory and that of the SQLite report's
reader process (its ``VmHWM`` read just before it ends: ``RUSAGE_CHILDREN`` would count
the parent's pages the child held between fork and exec) and the largest sum of the two
at one moment (sampled every 20 ms), both of their resident sizes (``VmRSS``: the pages
of the libraries both map, Arrow's among them, counted twice) and of their proportional
sizes (``Pss``: each shared page split between the processes that map it); then the
ratio B / A (min and median). Between the two builds of ``--warm`` the process gives
back the memory the first report freed, as a report job does when it ends
(``clinic.reports.memory``, in the commits that have it).

Goals (issue "Registry scale"): 200,000 patients <= 10 s warm and <= 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_RUN = r"""
import json, resource, sys, time
from datetime import date
from sqlmodel import Session
from clinic import create_app
from clinic.db import get_engine
from clinic.reports.builder import build_report
from clinic.reports.filters import filters_from_mapping
from clinic.reports.render import render
url, fmt, builds = sys.argv[1], sys.argv[2], int(sys.argv[3])
import os, threading
readers, peaks = set(), {"reader": 0, "together": 0, "together_pss": 0}  # KiB


def _rss(pid, field="VmRSS:", file="status"):
    try:
        with open(f"/proc/{pid}/{file}") as status:
            return next((int(line.split()[1]) for line in status if line.startswith(field)), 0)
    except FileNotFoundError:  # a reader that ended
        return 0


def _pss(pid):  # shared pages (the libraries both processes map) counted once between them
    return _rss(pid, "Pss:", "smaps_rollup")


try:  # the SQLite report's reader process, in the commits that have one
    from clinic.reports import arrow
    start_reader, close = arrow.ArrowReads.__init__, arrow.ArrowReads.close
    def started(self, *args, **kwargs):
        start_reader(self, *args, **kwargs)
        readers.add(self.process.pid)
    def peak_then_close(self, *args, **kwargs):  # (a report's readers: one, or two)
        peaks["reader"] = max(peaks["reader"], _rss(self.process.pid, "VmHWM:"))
        readers.discard(self.process.pid)
        close(self, *args, **kwargs)
    arrow.ArrowReads.__init__, arrow.ArrowReads.close = started, peak_then_close
except (ImportError, AttributeError):
    pass


def _sample():  # the report and its reader at the same moment, every 20 ms
    while True:
        pids = [os.getpid(), *readers]
        peaks["together"] = max(peaks["together"], sum(_rss(pid) for pid in pids))
        peaks["together_pss"] = max(peaks["together_pss"], sum(_pss(pid) for pid in pids))
        time.sleep(0.02)


threading.Thread(target=_sample, daemon=True).start()
try:
    from clinic.reports.memory import give_back_memory
except ImportError:  # a commit before it
    give_back_memory = None
app = create_app({"DATABASE_URL": url, "CHECK_SCHEMA": False, "SECRET_KEY": "bench"})
times = []
with app.app_context():
    for _ in range(builds):  # the last one counts: with builds > 1, the app is warm
        with Session(get_engine(app)) as session:
            filters = filters_from_mapping({}, date.today())
            start = time.perf_counter()
            report = build_report(session, "BENCH", filters, timezone="Europe/Berlin")
            built = time.perf_counter()
            render(report, fmt)
            done = time.perf_counter()
        del report  # one report at a time, as a report job holds it
        if give_back_memory is not None:  # as the report job does when it is done
            give_back_memory()
        times.append((built - start, done - built))
print(json.dumps({"build": times[-1][0], "render": times[-1][1],
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "reader_mib": peaks["reader"] / 1024,
                  "together_mib": peaks["together"] / 1024,
                  "together_pss_mib": peaks["together_pss"] / 1024}))
"""


def _url(database: str) -> str:
    return database if "://" in database else f"sqlite:///{Path(database).resolve()}"


def _run(tree: Path, url: str, fmt: str, builds: int) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", ONE_RUN, url, fmt, str(builds)],
                          cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"failed in {tree}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True, help="a SQLite file or a database URL")
    parser.add_argument("--against", required=True, help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--format", default="pdf")
    parser.add_argument("--warm", action="store_true",
                        help="build twice per process and time the second (the app warm)")
    parser.add_argument("--hide", action="append", default=[], metavar="MODULE",
                        help="run COMMIT's side as if MODULE were not installed (say, "
                             "pyarrow, for a commit that came before it was a requirement)")
    args = parser.parse_args()
    old = Path(tempfile.mkdtemp()) / "against"
    subprocess.run(["git", "worktree", "add", "--detach", str(old), args.against],
                   cwd=ROOT, check=True, capture_output=True)
    if args.hide:  # imported at start-up from the PYTHONPATH: the modules cannot be imported
        (old / "sitecustomize.py").write_text("import sys\n" + "".join(
            f"sys.modules[{name!r}] = None\n" for name in args.hide))
    runs: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
    try:
        for _ in range(args.rounds):
            for side, tree in (("A", old), ("B", ROOT)):
                runs[side].append(_run(tree, _url(args.database), args.format,
                                        2 if args.warm else 1))
                r = runs[side][-1]
                print(f"  {side} build {r['build']:7.2f} s  render {r['render']:6.2f} s  "
                      f"peak {r['rss_mib']:6.0f} MiB" + (
                          f" (its reader process: {r['reader_mib']:.0f} MiB; the two at "
                          f"once: {r['together_mib']:.0f} MiB resident, "
                          f"{r['together_pss_mib']:.0f} MiB proportional)"
                          if r["reader_mib"] else ""), flush=True)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT,
                       check=False, capture_output=True)
    total = {s: [r["build"] + r["render"] for r in runs[s]] for s in runs}
    ratios = [b / a for a, b in zip(total["A"], total["B"], strict=True)]
    print(f"A = {args.against}, B = this checkout; report {args.format}"
          f"{', warm (second build in the process)' if args.warm else ''}")
    for side in ("A", "B"):
        print(f"  {side}: min {min(total[side]):.2f} s, median "
              f"{statistics.median(total[side]):.2f} s, peak "
              f"{max(r['rss_mib'] for r in runs[side]):.0f} MiB")
    print(f"  B / A: min {min(ratios):.2f}, median {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
