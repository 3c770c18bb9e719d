"""Descriptive statistics with SPSS's default percentile definition (HAVERAGE)."""

from __future__ import annotations

from typing import Any

import numpy as np

from clinic.stats._values import clean, plural
from clinic.stats.results import Describe


def haverage_quantiles(values: np.ndarray, probs: Any) -> np.ndarray:
    """SPSS HAVERAGE percentiles (= R ``quantile(type = 6)``, NumPy ``method="weibull"``).

    The position is (n + 1) p; below the first / above the last order
    statistic the extreme value is returned (as R and NumPy do).
    """
    return np.quantile(values, probs, method="weibull")


def describe(values: Any) -> Describe:
    """n, missing, mean, SD (ddof = 1), median, Q1, Q3, IQR, min and max.

    Missing values (None / NaN / pd.NA) are dropped and counted in ``missing``.
    With no values ``reason`` is set and every statistic is None; with a single
    value ``sd`` is None (noted).
    """
    x, missing = clean(values)
    n = int(x.size)
    notes = (f"{plural(missing, 'missing value')} dropped",) if missing else ()
    if n == 0:
        return Describe(n=0, missing=missing, reason="no non-missing values", notes=notes)
    q1, median, q3 = (float(q) for q in haverage_quantiles(x, [0.25, 0.5, 0.75]))
    sd: float | None = float(np.std(x, ddof=1)) if n >= 2 else None
    if sd is None:
        notes += ("standard deviation undefined for n = 1",)
    return Describe(
        n=n,
        missing=missing,
        mean=float(np.mean(x)),
        sd=sd,
        median=median,
        q1=q1,
        q3=q3,
        iqr=q3 - q1,
        min=float(x.min()),
        max=float(x.max()),
        notes=notes,
    )
