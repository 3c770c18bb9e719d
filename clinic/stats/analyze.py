"""One outcome of a trial, analysed the way the paper does it.

``analyze_frame`` takes long-format data (one row per subject × timepoint) and
returns an :class:`AnalysisReport` with

* the descriptive table per group × timepoint,
* the between-group comparison per timepoint (:func:`compare_groups`: Student's
  t or Mann-Whitney U for two groups, Kruskal-Wallis for more),
* the Friedman test (+ SPSS pairwise comparisons) per group over timepoints.

``render_text`` and ``to_json_dict`` (re-exported from
:mod:`clinic.stats.report`) turn the report into text or JSON-ready data.
Pure: no I/O, no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clinic.stats._values import as_float_array, plural
from clinic.stats.compare import compare_groups
from clinic.stats.repeated import friedman, label_codes
from clinic.stats.report import render_text, to_json_dict
from clinic.stats.results import Describe, Friedman, GroupComparison

__all__ = ["AnalysisReport", "analyze_frame", "render_text", "to_json_dict"]


@dataclass(frozen=True, kw_only=True)
class DescriptiveRow:
    group: Any
    timepoint: Any
    stats: Describe


@dataclass(frozen=True, kw_only=True)
class TimepointComparison:
    timepoint: Any
    comparison: GroupComparison


@dataclass(frozen=True, kw_only=True)
class GroupFriedman:
    group: Any
    result: Friedman


@dataclass(frozen=True, kw_only=True)
class AnalysisReport:
    """Everything ``render_text`` prints; column names are kept for labelling."""

    subject: str
    group: str
    timepoint: str
    value: str
    groups: tuple[Any, ...]
    timepoints: tuple[Any, ...]
    n_rows: int
    n_subjects: int
    n_missing: int
    descriptives: tuple[DescriptiveRow, ...]
    comparisons: tuple[TimepointComparison, ...]
    friedman: tuple[GroupFriedman, ...]
    alpha: float = 0.05
    notes: tuple[str, ...] = ()


def _validate(df: pd.DataFrame, subject: str, group: str, timepoint: str, value: str) -> None:
    absent = [c for c in (subject, group, timepoint, value) if c not in df.columns]
    if absent:
        raise ValueError(f"column(s) not in data: {absent}")
    for col in (subject, group, timepoint):
        if df[col].isna().any():
            raise ValueError(f"column {col!r} has missing labels")


def _check_structure(
    df: pd.DataFrame, subject: str, g_codes: np.ndarray, t_codes: np.ndarray, k: int
) -> int:
    """Raise on duplicate subject × timepoint rows or subjects in two groups; return n subjects."""
    s_codes, s_labels = pd.factorize(df[subject], sort=False)
    counts = np.bincount(s_codes.astype(np.int64) * k + t_codes, minlength=len(s_labels) * k)
    if (counts > 1).any():
        dup = np.flatnonzero(counts > 1)[:5]
        subjects = ", ".join(str(s) for s in s_labels[dup // k])
        raise ValueError(f"duplicate subject × timepoint rows: subject(s) {subjects} have "
                         "more than one row at a timepoint; keep one row per subject and "
                         "timepoint")
    group_of = np.empty(len(s_labels), dtype=np.int64)
    group_of[s_codes] = g_codes
    moved = group_of[s_codes] != g_codes
    if moved.any():
        subjects = ", ".join(str(s) for s in list(pd.unique(s_labels[s_codes[moved]]))[:5])
        raise ValueError(f"subject(s) in more than one group: {subjects}")
    return len(s_labels)


def _cells(
    values: np.ndarray, g_codes: np.ndarray, t_codes: np.ndarray, k: int, n_groups: int
) -> list[np.ndarray]:
    """Values per (group, timepoint) cell, flattened as g * k + t."""
    key = g_codes.astype(np.int64) * k + t_codes
    order = np.argsort(key, kind="stable")
    bounds = np.searchsorted(key[order], np.arange(n_groups * k + 1))
    return [values[order[a:b]] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _friedman_for_group(
    sub: pd.DataFrame, cols: tuple[str, str, str], present: list[Any], label: Any
) -> tuple[Friedman, tuple[str, ...]]:
    subject, timepoint, value = cols
    notes: tuple[str, ...] = ()
    keep = sub[timepoint].isin(present)
    if not keep.all():
        dropped = [t for t in pd.unique(sub[timepoint]) if t not in present]
        notes = (f"group {label}: timepoint(s) {dropped} have no values; left out of Friedman",)
        sub = sub[keep]
    return friedman(sub, subject=subject, timepoint=timepoint, value=value, order=present), notes


def _between_groups(
    cells: list[np.ndarray], groups: list[Any], timepoints: list[Any], alpha: float
) -> tuple[list[TimepointComparison], list[DescriptiveRow]]:
    k = len(timepoints)
    comparisons, descriptives = [], []
    for ti, tp in enumerate(timepoints):
        comp = compare_groups({g: cells[gi * k + ti] for gi, g in enumerate(groups)}, alpha=alpha)
        comparisons.append(TimepointComparison(timepoint=tp, comparison=comp))
        descriptives += [
            DescriptiveRow(group=g, timepoint=tp, stats=d)
            for g, d in (comp.descriptives or {}).items()
        ]
    descriptives.sort(key=lambda row: groups.index(row.group))  # stable: group, then timepoint
    return comparisons, descriptives


def _within_groups(
    df: pd.DataFrame, cols: tuple[str, str, str], g_codes: np.ndarray,
    cells: list[np.ndarray], groups: list[Any], timepoints: list[Any],
) -> tuple[list[GroupFriedman], list[str]]:
    k = len(timepoints)
    results, notes = [], []
    for gi, g in enumerate(groups):
        present = [t for ti, t in enumerate(timepoints) if not np.isnan(cells[gi * k + ti]).all()]
        sub = df.loc[g_codes == gi, list(cols)]
        res, extra = _friedman_for_group(sub, cols, present, g)
        results.append(GroupFriedman(group=g, result=res))
        notes += extra
    return results, notes


def analyze_frame(
    df: pd.DataFrame,
    subject: str,
    group: str,
    timepoint: str,
    value: str,
    timepoint_order: Sequence[Any] | None = None,
    *,
    alpha: float = 0.05,
) -> AnalysisReport:
    """Descriptives, between-group comparisons per timepoint and Friedman per group.

    Groups and (unless ``timepoint_order`` is given) timepoints keep their
    categorical order or order of first appearance. Missing values in
    ``value`` are allowed and counted; non-numeric values, missing labels,
    duplicate subject × timepoint rows and subjects in two groups raise
    ValueError. A timepoint without any value in a group is left out of that
    group's Friedman test (noted) instead of excluding every subject.
    """
    _validate(df, subject, group, timepoint, value)
    values = as_float_array(df[value])
    groups, g_codes = label_codes(df[group], None, "group")
    timepoints, t_codes = label_codes(df[timepoint], timepoint_order, "timepoint")
    n_subjects = _check_structure(df, subject, g_codes, t_codes, len(timepoints))
    cells = _cells(values, g_codes, t_codes, len(timepoints), len(groups))
    comparisons, descriptives = _between_groups(cells, groups, timepoints, alpha)
    cols = (subject, timepoint, value)
    results, notes = _within_groups(df, cols, g_codes, cells, groups, timepoints)
    n_missing = int(np.isnan(values).sum())
    if n_missing:
        notes.insert(0, f"{plural(n_missing, 'missing value')} in {value!r}")
    return AnalysisReport(
        subject=subject, group=group, timepoint=timepoint, value=value,
        groups=tuple(groups), timepoints=tuple(timepoints), n_rows=len(df),
        n_subjects=n_subjects, n_missing=n_missing, descriptives=tuple(descriptives),
        comparisons=tuple(comparisons), friedman=tuple(results), alpha=alpha, notes=tuple(notes),
    )
