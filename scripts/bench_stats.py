"""Benchmark the statistics engine on the seed trial's layout.

2 arms × 6 timepoints × 2 outcomes (VAS 0-10 integers, ODI 0-100 even
integers, ~1 % missing values). For each outcome: describe + compare_groups
per timepoint, Friedman (+ SPSS pairwise post hoc) per arm - i.e.
``analyze_frame`` once per outcome. Sizes: 200, 20,000 and 200,000 patients.

    .venv/bin/python scripts/bench_stats.py [--sizes 200 20000 200000] [--no-r]

When ``Rscript`` is on PATH the same data are written to a CSV and
scripts/bench_stats.R does the same computation in base R; the table then
shows both timings, and the Friedman χ², first adjusted pairwise p and
between-group p of both engines are compared.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clinic.stats import analyze_frame  # noqa: E402

TIMEPOINTS = ["Before", "1 day", "1 week", "1 month", "3 months", "6 months"]
OUTCOMES = ("vas", "odi")
ARMS = ("Fluoroscopy", "CT")


def synthetic_trial(n: int, seed: int = 2025) -> pd.DataFrame:
    """Long-format trial: one row per patient × timepoint, columns pid/arm/timepoint/vas/odi."""
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(n) % 2 == 0, ARMS[0], ARMS[1])
    benefit = np.where(arm == ARMS[0], 0.3, 0.0)[:, None] * (np.arange(6) > 1)
    vas_drop = np.array([0, 1.8, 2.2, 2.8, 3.0, 3.3])
    vas = rng.integers(4, 10, n)[:, None] - vas_drop - benefit + rng.normal(0, 1.2, (n, 6))
    vas = np.clip(np.round(vas), 0, 10)
    odi_drop = np.array([0, 4, 6, 8, 12, 16])
    odi = rng.normal(32, 8, n)[:, None] - odi_drop + rng.normal(0, 5, (n, 6))
    odi = 2 * np.clip(np.round(odi / 2), 0, 50)
    for values in (vas, odi):
        values[rng.random(values.shape) < 0.01] = np.nan
    return pd.DataFrame({
        "pid": np.repeat(np.arange(1, n + 1), 6),
        "arm": np.repeat(arm, 6),
        "timepoint": np.tile(TIMEPOINTS, n),
        "vas": vas.ravel(),
        "odi": odi.ravel(),
    })


def run_python(df: pd.DataFrame) -> tuple[float, dict[tuple[str, str], float]]:
    """Seconds for both outcomes, and the figures compared with R."""
    results: dict[tuple[str, str], float] = {}
    start = time.perf_counter()
    reports = {o: analyze_frame(df, "pid", "arm", "timepoint", o, TIMEPOINTS) for o in OUTCOMES}
    seconds = time.perf_counter() - start
    for outcome, rep in reports.items():
        for row in rep.comparisons:
            key = f"compare_p {row.timepoint.replace(' ', '_')}"
            results[(outcome, key)] = row.comparison.p
        for row in rep.friedman:
            results[(outcome, f"friedman_chi2 {row.group}")] = row.result.statistic
            results[(outcome, f"pairwise_first_p_adj {row.group}")] = float(
                row.result.pairwise["p_adj"].iloc[0]
            )
    return seconds, results


def run_r(df: pd.DataFrame) -> tuple[float, dict[tuple[str, str], float], str] | None:
    """Seconds spent by bench_stats.R (reading the CSV excluded), its results, R version."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "trial.csv"
        df.to_csv(csv, index=False, na_rep="NA")
        out = subprocess.run(
            [rscript, str(ROOT / "scripts" / "bench_stats.R"), str(csv)],
            capture_output=True, text=True, check=True,
        ).stdout
    seconds, results, version = 0.0, {}, "R"
    for line in out.splitlines():
        parts = line.split()
        if parts[:1] == ["seconds"]:
            seconds += float(parts[2])
        elif parts[:1] == ["result"]:
            results[(parts[1], " ".join(parts[2:-1]))] = float(parts[-1])
        elif parts[:1] == ["version"]:
            version = " ".join(parts[1:])
    return seconds, results, version


def max_rel_diff(py: dict[tuple[str, str], float], r: dict[tuple[str, str], float]) -> float:
    """Largest relative difference between the figures both engines computed."""
    diffs = [abs(py[k] - r[k]) / max(abs(r[k]), 1e-300) for k in r if py.get(k) is not None]
    if len(diffs) != len(r):
        raise AssertionError(f"R and Python computed different figures: {sorted(set(r) - set(py))}")
    return max(diffs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 20_000, 200_000])
    parser.add_argument("--no-r", action="store_true", help="skip the base-R comparison")
    args = parser.parse_args(argv)
    analyze_frame(synthetic_trial(50), "pid", "arm", "timepoint", "vas")  # warm caches/imports
    rows, r_version = [], None
    for n in args.sizes:
        df = synthetic_trial(n)
        py_seconds, py_results = run_python(df)
        r_run = None if args.no_r else run_r(df)
        r_seconds, diff = (None, None)
        if r_run is not None:
            r_seconds, r_results, r_version = r_run
            diff = max_rel_diff(py_results, r_results)
        rows.append((n, len(df), py_seconds, r_seconds, diff))
    print_table(rows, r_version)


def print_table(rows: list[tuple], r_version: str | None) -> None:
    print(f"{'patients':>9}  {'rows':>9}  {'python s':>9}  {'R s':>9}  {'max rel diff py-R':>18}")
    for n, n_rows, py_s, r_s, diff in rows:
        r_text = f"{r_s:9.3f}" if r_s is not None else f"{'n/a':>9}"
        d_text = f"{diff:18.2e}" if diff is not None else f"{'n/a':>18}"
        print(f"{n:>9}  {n_rows:>9}  {py_s:9.3f}  {r_text}  {d_text}")
    print("python: clinic.stats.analyze_frame for VAS and ODI (describe + compare_groups per")
    print("timepoint, Friedman + pairwise per arm); R: scripts/bench_stats.R, CSV reading excluded")
    if r_version:
        print(f"R: {r_version}")


if __name__ == "__main__":
    main()
