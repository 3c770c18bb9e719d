"""The paper's test-selection rules.

Continuous outcomes (``compare_groups``): normality is assessed in each group
with Kolmogorov-Smirnov (Lilliefors), as in the paper. Two groups: Student's t
when every group has KS p >= alpha, otherwise Mann-Whitney U; when normality
cannot be assessed in a group (n < 4, all values identical) the rank test is
used. Three or more groups: Kruskal-Wallis H (the paper describes no
parametric alternative, so no ANOVA is chosen).

Categorical outcomes (``compare_categorical``): Pearson's χ²; for a table with an
expected count below 5, Fisher's exact test (Fisher–Freeman–Halton's for a table larger
than 2×2), unless that table is too large to enumerate: then χ², and the reason says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clinic.stats.categorical import chi_square
from clinic.stats.describe import describe
from clinic.stats.format import format_p_phrase
from clinic.stats.nonparametric import kruskal_wallis, mann_whitney
from clinic.stats.normality import normality
from clinic.stats.parametric import t_test
from clinic.stats.results import CategoricalComparison, GroupComparison, Normality


def _ks_text(res: Normality) -> str:
    if res.ks_p is None:
        return "not assessable"
    return f"p {format_p_phrase(res.ks_p, res.ks_p_at_least_0_2)}"


def _choose_two_group_test(norm: Mapping[Any, Normality], alpha: float) -> tuple[str, str]:
    not_assessable = {g: r.reason for g, r in norm.items() if r.is_normal is None}
    if not_assessable:
        detail = "; ".join(f"{g}: {why}" for g, why in not_assessable.items())
        return "mann_whitney", f"normality not assessable ({detail}): rank test used"
    non_normal = [g for g, r in norm.items() if not r.is_normal]
    if non_normal:
        detail = ", ".join(f"{g} ({_ks_text(norm[g])})" for g in non_normal)
        return "mann_whitney", f"Kolmogorov-Smirnov (Lilliefors) p < {alpha} in {detail}"
    detail = ", ".join(f"{g} ({_ks_text(r)})" for g, r in norm.items())
    return "student_t", f"Kolmogorov-Smirnov (Lilliefors) p ≥ {alpha} in every group: {detail}"


def compare_groups(groups: Mapping[Any, Any], *, alpha: float = 0.05) -> GroupComparison:
    """Compare a continuous outcome between groups following the paper's rule.

    ``groups`` maps a group label to its values (missing values allowed). The
    result names the ``test`` that ran and why (``reason_for_test``), its
    ``statistic`` (t, U or H) and ``p``, the underlying ``result`` and the
    per-group ``descriptives`` and ``normality``.
    """
    labels = list(groups)
    desc = {g: describe(groups[g]) for g in labels}
    norm = {g: normality(groups[g], alpha=alpha) for g in labels}
    base: dict[str, Any] = {"descriptives": desc, "normality": norm}
    if len(labels) < 2:
        return GroupComparison(reason="a comparison needs at least two groups", **base)
    if len(labels) >= 3:
        res = kruskal_wallis(groups)
        return GroupComparison(
            test="kruskal_wallis", reason_for_test=f"{len(labels)} groups: Kruskal-Wallis H",
            statistic=res.statistic, p=res.p, result=res, reason=res.reason, **base,
        )
    test, why = _choose_two_group_test(norm, alpha)
    x, y = (groups[g] for g in labels)
    if test == "student_t":
        tt = t_test(x, y)
        return GroupComparison(
            test=test, reason_for_test=why, statistic=tt.t, p=tt.p, result=tt,
            reason=tt.reason, **base,
        )
    mw = mann_whitney(x, y)
    return GroupComparison(
        test=test, reason_for_test=why, statistic=mw.u, p=mw.p, result=mw,
        reason=mw.reason, **base,
    )


def compare_categorical(table: Any) -> CategoricalComparison:
    """χ² or Fisher's exact test on a contingency table (see module docstring)."""
    res = chi_square(table)
    if res.reason is not None:
        return CategoricalComparison(result=res, reason=res.reason)
    footnote = (
        f"{res.cells_below_5} cells ({res.pct_cells_below_5:.1f}%) have expected count < 5; "
        f"minimum expected count {res.min_expected:.2f}"
    )
    if res.fisher_p is not None:
        two_by_two = len(res.rows) == 2 and len(res.cols) == 2
        return CategoricalComparison(
            test="fisher_exact" if two_by_two else "fisher_freeman_halton",
            reason_for_test=f"{len(res.rows)}×{len(res.cols)} table and {footnote}",
            statistic=None, p=res.fisher_p, result=res,
        )
    why = "Pearson χ² (no continuity correction)"
    if res.exact_too_large:
        why += (f"; {footnote} (the exact test was too large to compute for this table: "
                "the χ² p is an approximation)")
    return CategoricalComparison(
        test="pearson_chi_square", reason_for_test=why, statistic=res.statistic, p=res.p,
        result=res,
    )
