"""Benchmark: ``flask seed-demo`` of this checkout against another commit's.

    .venv/bin/python scripts/bench_seed_demo.py --against COMMIT [--patients 200 2000]
        [--rounds 3]

COMMIT's tree is checked out in a temporary git worktree. Each round runs, for each
size, ``init-db`` then ``seed-demo --patients N --seed 1`` on a new SQLite file, once
with COMMIT's code (A) and once with this checkout's (B), alternately: the machine is
shared, so the two are compared in the same minute. Timed: the ``seed-demo`` command's
wall time, start-up included, as a user sees it. Printed per size: min and median of
each side and of the ratio B / A.

Goals (issue "Registry scale"): 200 patients <= 3 s, 2,000 patients <= 30 s.
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
FLASK = [sys.executable, "-m", "flask", "--app", "clinic"]


def _seed(tree: Path, patients: int, folder: Path) -> float:
    database = folder / f"seed_{time.monotonic_ns()}.db"
    env = {**os.environ, "PYTHONPATH": str(tree),
           "CLINIC_DATABASE_URL": f"sqlite:///{database}"}
    subprocess.run([*FLASK, "init-db"], cwd=tree, env=env, check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([*FLASK, "seed-demo", "--patients", str(patients), "--seed", "1"],
                   cwd=tree, env=env, check=True, capture_output=True)
    took = time.perf_counter() - start
    for path in folder.glob(f"{database.name}*"):
        path.unlink()
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--against", required=True, help="the commit to compare with")
    parser.add_argument("--patients", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    old = folder / "against"
    subprocess.run(["git", "worktree", "add", "--detach", str(old), args.against],
                   cwd=ROOT, check=True, capture_output=True)
    times: dict[tuple[int, str], list[float]] = {}
    try:
        for _ in range(args.rounds):
            for patients in args.patients:
                for side, tree in (("A", old), ("B", ROOT)):
                    took = _seed(tree, patients, folder)
                    times.setdefault((patients, side), []).append(took)
                    print(f"  {patients:6d} patients  {side}  {took:7.2f} s", flush=True)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT,
                       check=False, capture_output=True)
    print(f"A = {args.against}, B = this checkout; seed-demo wall time, start-up included")
    for patients in args.patients:
        a, b = times[(patients, "A")], times[(patients, "B")]
        ratios = [y / x for x, y in zip(a, b, strict=True)]
        print(f"  {patients:6d} patients: A min {min(a):.2f} s, median "
              f"{statistics.median(a):.2f} s; B min {min(b):.2f} s, median "
              f"{statistics.median(b):.2f} s; B / A min {min(ratios):.2f}, median "
              f"{statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
