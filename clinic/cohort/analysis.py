"""Outcome by arm over time (pure: frames in, frozen results out).

Per timepoint: median (IQR) per arm and the between-arm test chosen by
``clinic.stats.compare_groups`` (t / Mann-Whitney / Kruskal-Wallis). Per arm: the
Friedman test across the timepoints at which the instrument is collected, on the
patients with a value at every one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

import clinic.stats.pandas_setup  # noqa: F401  (texts in Python strings)
from clinic.stats import Describe, Friedman, GroupComparison, compare_groups, describe, friedman


@dataclass(frozen=True)
class CohortSummary:
    arms: tuple[str, ...]
    timepoints: tuple[str, ...]  # codes with at least one value
    patients: dict[str, int]  # arm -> patients with any value
    cells: dict[tuple[str, str], Describe]  # (arm, timepoint) -> descriptives
    comparisons: dict[str, GroupComparison]  # timepoint -> between-arm test
    friedman: dict[str, Friedman]  # arm -> across timepoints

    def medians(self, arm: str) -> list[float | None]:
        return [self.cells[(arm, t)].median for t in self.timepoints]


def summarize(scores: pd.DataFrame, arms: Sequence[str], order: Sequence[str]) -> CohortSummary:
    """``scores``: subject, arm, timepoint, value; ``order``: the study's timepoint codes."""
    present = set(scores["timepoint"])
    timepoints = tuple(t for t in order if t in present)
    groups = {key: [float(v) for v in rows] for key, rows  # one pass, not one per cell
              in scores.groupby(["arm", "timepoint"], sort=False)["value"]}
    cells = {(a, t): describe(groups.get((a, t), [])) for a in arms for t in timepoints}
    comparisons = {t: compare_groups({a: groups.get((a, t), []) for a in arms})
                   for t in timepoints}
    tests = {a: _friedman(scores[scores["arm"] == a], timepoints) for a in arms}
    patients = {a: int(scores.loc[scores["arm"] == a, "subject"].nunique()) for a in arms}
    return CohortSummary(tuple(arms), timepoints, patients, cells, comparisons, tests)


def _friedman(frame: pd.DataFrame, timepoints: tuple[str, ...]) -> Friedman:
    if len(timepoints) < 2:
        return Friedman(reason="Friedman's test needs at least two timepoints",
                        k=len(timepoints))
    if frame.empty:
        return Friedman(reason="no values", k=len(timepoints))
    return friedman(frame[["subject", "timepoint", "value"]], order=list(timepoints))
