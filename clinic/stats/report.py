"""Plain-text and JSON renderings of an :class:`~clinic.stats.analyze.AnalysisReport`."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clinic.stats.format import (
    NOT_COMPUTABLE,
    fmt_number,
    format_mean_sd,
    format_median_iqr,
    format_p,
    format_p_phrase,
    format_statistic,
)
from clinic.stats.results import Friedman, GroupComparison, Result

if TYPE_CHECKING:
    from clinic.stats.analyze import AnalysisReport

TEST_NAMES = {
    "student_t": "Student's t",
    "mann_whitney": "Mann-Whitney U",
    "kruskal_wallis": "Kruskal-Wallis H",
}
STAT_SYMBOLS = {"student_t": "t", "mann_whitney": "U", "kruskal_wallis": "H"}


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return [line.rstrip() for line in out]


def _cell(comp: GroupComparison, group: Any) -> str:
    d = (comp.descriptives or {})[group]
    cell = f"{format_median_iqr(d.median, d.q1, d.q3)} [n={d.n}]"
    if comp.test == "student_t":
        cell += f"; {format_mean_sd(d.mean, d.sd)}"
    return cell


def _comparison_lines(report: AnalysisReport) -> list[str]:
    header = [str(report.timepoint), *(str(g) for g in report.groups), "test", "statistic", "p"]
    rows = []
    for row in report.comparisons:
        comp = row.comparison
        stat = (
            f"{STAT_SYMBOLS[comp.test]} = {format_statistic(comp.statistic)}"
            if comp.test and comp.statistic is not None
            else NOT_COMPUTABLE
        )
        test = TEST_NAMES.get(comp.test or "", NOT_COMPUTABLE)
        cells = [_cell(comp, g) for g in report.groups]
        rows.append([str(row.timepoint), *cells, test, stat, format_p(comp.p)])
    return _table(header, rows)


def _pairwise_lines(res: Friedman) -> list[str]:
    if res.pairwise is None:
        return []
    rows = [
        [f"{r.a} - {r.b}", fmt_number(r.statistic, 3), fmt_number(r.se, 3), fmt_number(r.z, 3),
         format_p(r.p), format_p(r.p_adj)]
        for r in res.pairwise.itertuples(index=False)
    ]
    header = ["pair", "mean rank diff", "SE", "z", "p", "adj. p (Bonferroni)"]
    return ["    " + line for line in _table(header, rows)]


def _friedman_lines(report: AnalysisReport) -> list[str]:
    lines = []
    for row in report.friedman:
        res = row.result
        df = NOT_COMPUTABLE if res.df is None else str(res.df)
        lines.append(
            f"{report.group} {row.group}: n = {res.n} (excluded {len(res.excluded)}), "
            f"chi2 = {format_statistic(res.statistic)}, df = {df}, "
            f"p {format_p_phrase(res.p)}, Kendall's W = {format_statistic(res.kendall_w)}"
        )
        if res.reason:
            lines.append(f"    not computable: {res.reason}")
            continue
        ranks = ", ".join(f"{t}: {fmt_number(v, 2)}" for t, v in (res.mean_ranks or {}).items())
        lines.append(f"    mean ranks: {ranks}")
        lines += _pairwise_lines(res)
    return lines


def _reasons(report: AnalysisReport) -> list[str]:
    out = [f"- {n}" for n in report.notes]
    for row in report.comparisons:
        comp = row.comparison
        if comp.reason_for_test:
            out.append(f"- {row.timepoint}: {comp.reason_for_test}")
        if comp.reason:
            out.append(f"- {row.timepoint}: not computable: {comp.reason}")
    return out


def render_text(report: AnalysisReport) -> str:
    """A plain-text report: comparison table, Friedman per group, notes."""
    lines = [
        f"Outcome {report.value!r} by {report.group!r} over {report.timepoint!r}",
        f"{report.n_rows} rows, {report.n_subjects} subjects, {report.n_missing} missing values",
        "",
        "Between-group comparison per timepoint "
        "(median (Q1-Q3) [n]; mean ± SD added when Student's t is used)",
        *_comparison_lines(report),
        "",
        "Friedman test per group (complete cases; pairwise: SPSS / Siegel-Castellan)",
        *_friedman_lines(report),
        "",
        "Notes",
        *_reasons(report),
    ]
    return "\n".join(lines) + "\n"


def to_jsonable(obj: Any) -> Any:
    """Recursively convert results to JSON-ready values (NaN/inf → None)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        if isinstance(obj, Result):
            out["computable"] = obj.computable
        return out
    if isinstance(obj, pd.DataFrame):
        return [to_jsonable(rec) for rec in obj.to_dict(orient="records")]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    return str(obj)


def to_json_dict(report: AnalysisReport) -> dict[str, Any]:
    """The report as a JSON-serialisable dict (same fields as the dataclasses)."""
    result = to_jsonable(report)
    assert isinstance(result, dict)
    return result
