"""The one formatting path: statistics engine results → table cells.

Every number printed in HTML, PDF and XLSX goes through these functions, which use
:mod:`clinic.stats.format` (SPSS rounding), so the three formats cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clinic.reports.data import StudyData
from clinic.reports.tables import Cell, Column, Row, TableBuilder
from clinic.stats import compare_categorical, compare_groups, describe
from clinic.stats.format import (
    NOT_COMPUTABLE,
    fmt_number,
    format_count_pct,
    format_mean_sd,
    format_median_iqr,
    format_p,
)
from clinic.stats.results import (
    CategoricalComparison,
    ChiSquare,
    Describe,
    GroupComparison,
    MannWhitney,
)

EMPTY = "—"
MEDIAN_DECIMALS = 1
MEAN_DECIMALS = 2


@dataclass(frozen=True)
class Arms:
    """The arms in study order, their labels and included patients."""

    codes: tuple[str, ...]
    labels: dict[str, str]
    modality: dict[str, str]
    size: dict[str, int]

    @classmethod
    def of(cls, data: StudyData) -> Arms:
        arms = [a for a in data.study.arms
                if not data.filters.arms or a.code in data.filters.arms]
        counts = data.patients["arm"].value_counts()
        return cls(tuple(a.code for a in arms), {a.code: a.label for a in arms},
                   {a.code: a.modality for a in arms},
                   {a.code: int(counts.get(a.code, 0)) for a in arms})

    def columns(self, p: bool = True) -> tuple[Column, ...]:
        cols = tuple(Column(self.labels[c], self.size[c]) for c in self.codes)
        return (*cols, Column("p-value")) if p else cols


def summary_text(d: Describe, kind: str = "median", decimals: int = MEDIAN_DECIMALS) -> str:
    if d.n == 0:
        return EMPTY
    if kind == "mean":
        return format_mean_sd(d.mean, d.sd, MEAN_DECIMALS)
    return format_median_iqr(d.median, d.q1, d.q3, decimals)


def summary_cell(d: Describe, kind: str = "median", decimals: int = MEDIAN_DECIMALS) -> Cell:
    note = "no value recorded" if d.n == 0 else ""
    return Cell(summary_text(d, kind, decimals), d.n, note=note)


def p_cell(test: str | None, p: float | None, reason: str | None, b: TableBuilder,
           label: str) -> Cell:
    if p is None:
        why = reason or "not computable"
        b.note(f"{label}: p-value not computable ({NOT_COMPUTABLE}): {why}.")
        return Cell(NOT_COMPUTABLE, note=why)
    return Cell(format_p(p), mark=b.marks.of(test))


EXACT_BELOW = 20  # patients per group: SPSS prints the exact p beside the asymptotic one


def compare_p_cell(comp: GroupComparison | CategoricalComparison, b: TableBuilder,
                   label: str) -> Cell:
    cell = p_cell(comp.test, comp.p, comp.reason, b, label)
    if isinstance(comp, CategoricalComparison):
        _expected_count_note(comp, b, label)
    elif comp.test == "mann_whitney" and cell.text != NOT_COMPUTABLE:
        cell = _with_exact_p(comp, cell, b, label)
    return cell


def _with_exact_p(comp: GroupComparison, cell: Cell, b: TableBuilder, label: str) -> Cell:
    """Small groups: the exact p (Exact Sig. [2*(1-tailed Sig.)]) beside the asymptotic."""
    mw = comp.result
    if not isinstance(mw, MannWhitney) or min(mw.n1, mw.n2) >= EXACT_BELOW:
        return cell
    if mw.p_exact is None:
        b.note(f"{label}: groups under {EXACT_BELOW} patients, but the exact p is not "
               "computed: the values contain ties (the asymptotic p is shown).")
        return cell
    b.note(f"exact: the exact two-sided p of the Mann–Whitney U (SPSS “Exact Sig. "
           f"[2*(1-tailed Sig.)]”), shown beside the asymptotic p for groups under "
           f"{EXACT_BELOW} patients.")
    return Cell(f"{cell.text} (exact {format_p(mw.p_exact)})", cell.n, cell.mark, cell.note)


def _expected_count_note(comp: CategoricalComparison, b: TableBuilder, label: str) -> None:
    """SPSS's footnote under a χ² table with small expected counts."""
    chi = comp.result
    if not isinstance(chi, ChiSquare) or not chi.cells_below_5 or chi.min_expected is None:
        return
    b.note(f"{label}: {chi.cells_below_5} cells ({chi.pct_cells_below_5:.1f}%) have expected "
           f"count less than 5. The minimum expected count is {chi.min_expected:.2f}.")


def arm_values(frame: pd.DataFrame, column: str, arms: Arms) -> dict[str, np.ndarray]:
    """Non-missing float values of ``column`` per arm (``frame`` has an ``arm`` column)."""
    grouped = {code: frame.loc[frame["arm"] == code, column] for code in arms.codes}
    return {code: pd.to_numeric(v, errors="coerce").dropna().to_numpy(dtype=float)
            for code, v in grouped.items()}


def continuous_rows(b: TableBuilder, label: str, values: Mapping[str, Any], arms: Arms,
                    *, mean_sd: bool = False, level: int = 1,
                    pending: Mapping[str, int] | None = None) -> GroupComparison:
    """Median (IQR) row (and mean ± SD) per arm with the fitting test's p; ``pending``:
    per arm, the patients without a value whose visit is still open (said apart)."""
    comp = compare_groups({code: values[code] for code in arms.codes})
    desc = comp.descriptives or {code: describe(values[code]) for code in arms.codes}
    p = compare_p_cell(comp, b, label)
    if mean_sd:
        b.heading(label)
        b.row("Mean ± SD", (*(summary_cell(desc[c], "mean") for c in arms.codes), p))
        b.row("Median (IQR)", (*(summary_cell(desc[c]) for c in arms.codes), Cell()))
    else:
        b.rows.append(Row(label, (*(summary_cell(desc[c]) for c in arms.codes), p), level))
    _note_missing(b, label, desc, arms, pending or {})
    return comp


def _note_missing(b: TableBuilder, label: str, desc: Mapping[str, Describe], arms: Arms,
                  pending: Mapping[str, int]) -> None:
    gaps = [f"{arms.labels[c].split(':')[0]} {arms.size[c] - desc[c].n}"
            + (f" ({pending[c]} with the visit still pending)" if pending.get(c) else "")
            for c in arms.codes if desc[c].n < arms.size[c]]
    if gaps:
        b.note(f"{label}: value missing for {', '.join(gaps)} patient(s); "
               "cells give the n analysed.")


def count_table(series: pd.DataFrame, levels: Sequence[Any],
                arm_codes: Sequence[str]) -> pd.DataFrame:
    """Counts of ``value`` levels (rows) by ``arm`` (columns); unknown values are ignored."""
    li = positions_in(series["value"], levels)
    ai = positions_in(series["arm"], arm_codes)
    ok = (li >= 0) & (ai >= 0)
    flat = li[ok] * len(arm_codes) + ai[ok]
    grid = np.bincount(flat, minlength=len(levels) * len(arm_codes))
    return pd.DataFrame(grid.reshape(len(levels), len(arm_codes)), index=list(levels),
                        columns=list(arm_codes))


def positions_in(column: pd.Series, keys: Sequence[Any]) -> np.ndarray:
    """Each value's position in ``keys``, -1 for a value not among them or missing: what
    ``column.map({key: position})`` gives, with each distinct value looked up once (the
    map looked up each of 200,000 cells, one by one for a column of pandas' ``str``)."""
    if any(k is None or (isinstance(k, float) and np.isnan(k)) for k in keys):
        found = column.map({k: i for i, k in enumerate(keys)})  # a missing value as a key
        return found.fillna(-1).to_numpy(dtype=np.int64)
    codes, uniques = pd.factorize(column)
    at = {k: i for i, k in enumerate(keys)}
    lookup = np.array([at.get(u, -1) for u in uniques] + [-1], dtype=np.int64)
    return lookup[codes]  # (code -1, a missing value: the last, -1)


def categorical_rows(b: TableBuilder, label: str, series: pd.DataFrame, arms: Arms,
                     levels: Sequence[tuple[Any, str]], *, keep_empty: bool = False) -> None:
    """A block: heading with the test's p, then n (%) per level and arm.

    ``series`` has columns ``arm`` and ``value`` (one row per patient; missing
    values are counted in a "Not recorded" row and left out of % and test), and may
    have ``pending``: a missing value whose visit is still open counts as "Visit pending".
    """
    counts = count_table(series, [code for code, _ in levels], arms.codes)
    shown = [(c, t) for c, t in levels if keep_empty or counts.loc[c].sum() > 0]
    comp = compare_categorical(counts.loc[[c for c, _ in shown]] if shown else counts)
    totals = counts.sum(axis=0)
    heading = tuple(Cell("", int(totals[c])) for c in arms.codes)
    b.heading(label, (*heading, compare_p_cell(comp, b, label)))
    for code, text in shown:
        b.row(text, (*(Cell(format_count_pct(int(counts.loc[code, a]), int(totals[a])))
                       for a in arms.codes), Cell()))
    absent = series["value"].isna()
    pending = series["pending"].astype(bool) if "pending" in series else absent & False
    for words, rows in (("Visit pending", absent & pending), ("Not recorded", absent & ~pending)):
        counts_absent = series[rows]["arm"].value_counts()
        if counts_absent.sum():
            b.row(words, (*(Cell(str(int(counts_absent.get(a, 0)))) for a in arms.codes),
                          Cell()))
    if absent.sum():
        said = ("'Visit pending' (window not yet closed) and 'Not recorded'" if pending.any()
                else "'Not recorded'")
        b.note(f"{label}: {said} patients are left out of the percentages and the test.")


def statistic_text(value: float | None, decimals: int = 3) -> str:
    return fmt_number(value, decimals)
