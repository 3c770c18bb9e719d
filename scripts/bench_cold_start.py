"""Benchmark: how long commands take to start (not a timed test).

    .venv/bin/python scripts/bench_cold_start.py [--rounds 7]

Runs each command as a new process, alternating with an anchor in the same minute
(anchor, command, anchor, command …): the anchor is ``python -c "import flask"``, the
least any ``flask --app clinic`` command costs. Prints min and median wall time of each
command and of its ratio to the anchor. Goal (issue "Registry scale"): ``report --help``
and ``reminders run-once`` with nothing due <= 1 s.

The app's modules are byte-compiled first, and the commands may write bytecode, as in any
installed deployment: with ``PYTHONDONTWRITEBYTECODE`` set (some shells and containers set
it) every start would compile the whole package from source again, about 0.15 s more.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
FLASK = str(Path(PYTHON).with_name("flask"))
ANCHOR = [PYTHON, "-c", "import flask"]
COMMANDS = {
    "flask --app clinic --help": [FLASK, "--app", "clinic", "--help"],
    "report --help": [FLASK, "--app", "clinic", "report", "--help"],
    "reminders run-once (nothing due)": [FLASK, "--app", "clinic", "reminders", "run-once"],
    "import wsgi (a web worker, warmed up)": [PYTHON, "-c", "import wsgi"],
}


def _run(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    env = {**os.environ, "CLINIC_DATABASE_URL": f"sqlite:///{folder / 'cold.db'}",
           "CLINIC_SECRET_KEY": "bench"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([PYTHON, "-m", "compileall", "-q", "clinic", "wsgi.py"], env=env, cwd=ROOT,
                   check=True, capture_output=True)
    subprocess.run([FLASK, "--app", "clinic", "init-db"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    for name, argv in COMMANDS.items():
        pairs = [(_run(ANCHOR, env), _run(argv, env)) for _ in range(args.rounds)]
        command = [b for _, b in pairs]
        ratios = [b / a for a, b in pairs]
        print(f"{name:<40} min {min(command):5.2f} s  median {statistics.median(command):5.2f} s"
              f"  anchor median {statistics.median(a for a, _ in pairs):5.2f} s"
              f"  ratio min {min(ratios):4.1f} median {statistics.median(ratios):4.1f}")


if __name__ == "__main__":
    main()
