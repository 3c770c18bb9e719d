"""Rank tests for independent groups: Mann-Whitney U and Kruskal-Wallis H with Dunn.

All ranking is done on :func:`clinic.stats.exact_values` (values rounded to 6
decimals) so that floating-point noise never breaks a tie.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import stats

from clinic.stats._pairwise import pairwise_table
from clinic.stats._values import clean, exact_values, plural, rank_with_ties
from clinic.stats.results import KruskalWallis, MannWhitney

EXACT_MAX_N = 50
"""Exact Mann-Whitney p only when both samples have at most this many values."""


def _missing_notes(labelled: Mapping[Any, int]) -> tuple[str, ...]:
    return tuple(
        f"{plural(m, 'missing value')} dropped from {label}" for label, m in labelled.items() if m
    )


def _exact_p(x: np.ndarray, y: np.ndarray, tie_sum: float) -> tuple[float | None, str | None]:
    if tie_sum > 0:
        return None, "exact p not computed: the data contain ties"
    if x.size > EXACT_MAX_N or y.size > EXACT_MAX_N:
        return None, f"exact p not computed: a sample has more than {EXACT_MAX_N} values"
    res = stats.mannwhitneyu(exact_values(x), exact_values(y), method="exact")
    return float(res.pvalue), None


def mann_whitney(x: Any, y: Any) -> MannWhitney:
    """Mann-Whitney U with SPSS's tie-corrected asymptotic Z (no continuity correction).

    Equals ``scipy.stats.mannwhitneyu(x, y, use_continuity=False,
    method="asymptotic")`` for p. Not computable when a sample is empty or
    when every value is tied (σ = 0); U and the rank sums remain reported.
    """
    xv, mx = clean(x)
    yv, my = clean(y)
    n1, n2 = int(xv.size), int(yv.size)
    base: dict[str, Any] = {
        "n1": n1, "n2": n2, "missing_x": mx, "missing_y": my,
        "notes": _missing_notes({"x": mx, "y": my}),
    }
    if n1 == 0 or n2 == 0:
        return MannWhitney(reason="one group has no values: nothing to compare", **base)
    ranks, tie_sum, n_distinct = rank_with_ties(np.concatenate([xv, yv]))
    rank_sum_x, rank_sum_y = float(ranks[:n1].sum()), float(ranks[n1:].sum())
    u1 = rank_sum_x - n1 * (n1 + 1) / 2.0
    u2 = n1 * n2 - u1
    u = min(u1, u2)
    base.update(
        u=u, u1=u1, u2=u2, rank_biserial=(u1 - u2) / (n1 * n2),
        rank_sum_x=rank_sum_x, rank_sum_y=rank_sum_y,
        mean_rank_x=rank_sum_x / n1, mean_rank_y=rank_sum_y / n2,
    )
    if n_distinct == 1:
        return MannWhitney(reason=f"all {n1 + n2} values are tied: Z is undefined", **base)
    big_n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12.0 * ((big_n + 1) - tie_sum / (big_n * (big_n - 1))))
    z = (u - n1 * n2 / 2.0) / sigma
    p_exact, exact_note = _exact_p(xv, yv, tie_sum)
    if exact_note:
        base["notes"] += (exact_note,)
    return MannWhitney(
        z=z,
        p=min(1.0, 2.0 * float(stats.norm.sf(abs(z)))),
        p_exact=p_exact,
        r=abs(z) / math.sqrt(big_n),
        **base,
    )


def _dunn_se(sizes: np.ndarray, big_n: int, tie_sum: float) -> np.ndarray:
    """Dunn's SE matrix with the tie correction (as SPSS and Dunn 1964)."""
    var_unit = big_n * (big_n + 1) / 12.0 - tie_sum / (12.0 * (big_n - 1))
    inv = 1.0 / sizes
    return np.sqrt(var_unit * (inv[:, None] + inv[None, :]))


def kruskal_wallis(groups: Mapping[Any, Any]) -> KruskalWallis:
    """Kruskal-Wallis H (tie-corrected, df = k - 1) and Dunn's pairwise test.

    ``groups`` maps a group label to its values (order kept). Dunn uses the
    tie-corrected SE, Bonferroni over all pairs, capped at 1. Not computable
    with fewer than two groups, an empty group, or all values tied.
    """
    labels = list(groups)
    cleaned = [clean(groups[g]) for g in labels]
    sizes = np.array([v.size for v, _ in cleaned], dtype=float)
    missing = {g: m for g, (_, m) in zip(labels, cleaned, strict=True)}
    base: dict[str, Any] = {
        "n": int(sizes.sum()), "missing": missing,
        "group_n": {g: int(s) for g, s in zip(labels, sizes, strict=True)},
        "notes": _missing_notes(missing),
    }
    if len(labels) < 2:
        return KruskalWallis(reason="Kruskal-Wallis needs at least two groups", **base)
    empty = [g for g, s in zip(labels, sizes, strict=True) if s == 0]
    if empty:
        return KruskalWallis(reason=f"group(s) without values: {empty}", **base)
    ranks, tie_sum, n_distinct = rank_with_ties(np.concatenate([v for v, _ in cleaned]))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
    mean_ranks = np.add.reduceat(ranks, starts) / sizes
    base["mean_ranks"] = {g: float(r) for g, r in zip(labels, mean_ranks, strict=True)}
    big_n = base["n"]
    if n_distinct == 1:
        return KruskalWallis(reason=f"all {big_n} values are tied: H is undefined", **base)
    spread = np.sum(sizes * (mean_ranks - (big_n + 1) / 2.0) ** 2)
    h = 12.0 / (big_n * (big_n + 1)) * spread / (1.0 - tie_sum / (big_n**3 - big_n))
    df = len(labels) - 1
    return KruskalWallis(
        statistic=float(h),
        df=df,
        p=float(stats.chi2.sf(h, df)),
        pairwise=pairwise_table(labels, mean_ranks, _dunn_se(sizes, big_n, tie_sum)),
        **base,
    )
