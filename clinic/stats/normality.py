"""Normality: Kolmogorov-Smirnov with Lilliefors correction beside Shapiro-Wilk.

SPSS 20 (EXAMINE) prints both. The Lilliefors p uses the Dallal-Wilkinson
approximation (``statsmodels ... lilliefors(pvalmethod="approx")``, which
falls back to statsmodels' simulated table above p = 0.1). SPSS prints a p
above 0.2 as ".200" with the footnote "This is a lower bound of the true
significance", hence ``ks_p_at_least_0_2``.

Shapiro-Wilk is computed for 3 <= n <= 5000 only: that is the range of
Royston's algorithm as implemented by SPSS and by R's ``shapiro.test`` (which
refuses larger samples); scipy warns its p "may not be accurate" above 5000.
Outside that range ``shapiro_reason`` explains the omission.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats
from statsmodels.stats.diagnostic import lilliefors

from clinic.stats._values import clean, is_constant, plural
from clinic.stats.results import Normality

KS_MIN_N = 4
SHAPIRO_MIN_N = 3
SHAPIRO_MAX_N = 5000
KS_P_DISPLAY_FLOOR = 0.2


def _shapiro(x: np.ndarray) -> tuple[float | None, float | None, str | None]:
    n = x.size
    if n < SHAPIRO_MIN_N:
        return None, None, f"Shapiro-Wilk needs n >= {SHAPIRO_MIN_N} (n = {n})"
    if n > SHAPIRO_MAX_N:
        return None, None, (
            f"Shapiro-Wilk not computed for n > {SHAPIRO_MAX_N} (n = {n}): outside the "
            "range of Royston's approximation used by SPSS and R"
        )
    res = stats.shapiro(x)
    return float(res.statistic), float(res.pvalue), None


def normality(values: Any, alpha: float = 0.05) -> Normality:
    """KS-Lilliefors (decision, ``is_normal = ks_p >= alpha``) and Shapiro-Wilk.

    Not computable (``reason`` set, fields None) with fewer than 4 values or
    when all values are identical (scipy would report Shapiro W = 1, p = 1 on
    constant data, which is meaningless).
    """
    x, missing = clean(values)
    n = int(x.size)
    notes = (f"{plural(missing, 'missing value')} dropped",) if missing else ()
    base: dict[str, Any] = {"n": n, "missing": missing, "alpha": alpha, "notes": notes}
    if n == 0:
        reason = "no non-missing values"
        return Normality(reason=reason, shapiro_reason=reason, **base)
    if is_constant(x):
        reason = f"all {plural(n, 'value')} identical: normality is undefined"
        return Normality(reason=reason, shapiro_reason=reason, **base)
    w, p_sw, sw_reason = _shapiro(x)
    if n < KS_MIN_N:
        reason = f"Kolmogorov-Smirnov (Lilliefors) needs n >= {KS_MIN_N} (n = {n})"
        return Normality(
            reason=reason, shapiro_w=w, shapiro_p=p_sw, shapiro_reason=sw_reason, **base
        )
    d, p_ks = (float(v) for v in lilliefors(x, dist="norm", pvalmethod="approx"))
    return Normality(
        ks_d=d,
        ks_p=p_ks,
        ks_p_at_least_0_2=p_ks >= KS_P_DISPLAY_FLOOR,
        shapiro_w=w,
        shapiro_p=p_sw,
        shapiro_reason=sw_reason,
        is_normal=p_ks >= alpha,
        **base,
    )
