"""Student's t-test with Welch's t, a mean-centred Levene test and Cohen's d.

Computed from the textbook formulas (as SPSS's T-TEST and R's ``t.test``) so
that every undefined case is detected and explained instead of surfacing as
NaN (scipy's Welch t is NaN for a one-value group; its Student t agrees with
ours and is checked in the tests). Levene's test is the
one-way ANOVA F on |x - group mean| (SPSS; ``scipy.stats.levene(...,
center="mean")``) - not scipy's median-centred default (Brown-Forsythe).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from clinic.stats._values import clean, exact_values, is_constant, plural
from clinic.stats.results import TTest

_Welch = tuple[float | None, float | None, float | None, str | None]


def _welch(x: np.ndarray, y: np.ndarray) -> _Welch:
    if x.size < 2 or y.size < 2:
        return None, None, None, "Welch's t needs at least 2 values in each group"
    vx, vy = np.var(x, ddof=1) / x.size, np.var(y, ddof=1) / y.size
    if is_constant(x) and is_constant(y):
        return None, None, None, "Welch's t undefined: zero variance in both groups"
    t = (np.mean(x) - np.mean(y)) / math.sqrt(vx + vy)
    df = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    return float(t), float(df), float(2.0 * stats.t.sf(abs(t), df)), None


def levene_mean(*samples: np.ndarray) -> tuple[float | None, int, int, float | None, str | None]:
    """Levene's test centred on the mean: one-way ANOVA F on |x - mean(group)|.

    Returns ``(F, df1, df2, p, reason)``; F is None (with a reason) when the
    absolute deviations have no within-group variability.
    """
    devs = [np.abs(s - np.mean(s)) for s in samples]
    big_n, k = sum(d.size for d in devs), len(devs)
    df1, df2 = k - 1, big_n - k
    if df2 < 1:
        return None, df1, df2, None, "Levene's test needs more values than groups"
    grand = np.mean(np.concatenate(devs))
    within = float(sum(np.sum((d - np.mean(d)) ** 2) for d in devs))
    if not _any_spread(devs):
        return None, df1, df2, None, "Levene's test undefined: no spread within groups"
    between = float(sum(d.size * (np.mean(d) - grand) ** 2 for d in devs))
    f = (between / df1) / (within / df2)
    return f, df1, df2, float(stats.f.sf(f, df1, df2)), None


def _any_spread(devs: list[np.ndarray]) -> bool:
    return any(d.size > 1 and float(np.ptp(exact_values(d))) > 0 for d in devs)


def t_test(x: Any, y: Any) -> TTest:
    """Independent-samples Student's t (pooled variance, df = n1 + n2 - 2) plus extras.

    Not computable when a group is empty, when n1 + n2 < 3, or when every
    group has zero variance (values equal after exact-value rounding).
    """
    xv, mx = clean(x)
    yv, my = clean(y)
    n1, n2 = int(xv.size), int(yv.size)
    notes = tuple(
        f"{plural(m, 'missing value')} dropped from {lab}" for lab, m in (("x", mx), ("y", my)) if m
    )
    base: dict[str, Any] = {"n1": n1, "n2": n2, "missing_x": mx, "missing_y": my, "notes": notes}
    if n1 == 0 or n2 == 0:
        return TTest(reason="one group has no values: nothing to compare", **base)
    if n1 + n2 < 3:
        return TTest(reason="Student's t needs at least 3 values in total", **base)
    diff = float(np.mean(xv) - np.mean(yv))
    base["mean_diff"] = diff
    if is_constant(xv) and is_constant(yv):
        return TTest(reason="zero variance in both groups: t is undefined", **base)
    df = n1 + n2 - 2
    ss = sum(float(np.var(v, ddof=0)) * v.size for v in (xv, yv))
    sd_pooled = math.sqrt(ss / df)
    t = diff / (sd_pooled * math.sqrt(1.0 / n1 + 1.0 / n2))
    welch_t, welch_df, welch_p, welch_reason = _welch(xv, yv)
    lev_f, lev_df1, lev_df2, lev_p, lev_reason = levene_mean(xv, yv)
    return TTest(
        t=t, df=float(df), p=float(2.0 * stats.t.sf(abs(t), df)),
        welch_t=welch_t, welch_df=welch_df, welch_p=welch_p, welch_reason=welch_reason,
        levene_f=lev_f, levene_df1=lev_df1, levene_df2=lev_df2, levene_p=lev_p,
        levene_reason=lev_reason, cohen_d=diff / sd_pooled, **base,
    )
