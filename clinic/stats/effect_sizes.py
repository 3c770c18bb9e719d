"""Effect sizes for meta-analysis (pure numpy/scipy), as R's metafor ``escalc`` defines
them, and means/SDs estimated from medians and quartiles.

* MD: m1 − m2, variance sd1²/n1 + sd2²/n2 (``measure="MD"``).
* SMD, Hedges' g: the pooled-SD d times the exact correction
  J = Γ(m/2) / (√(m/2) Γ((m−1)/2)), m = n1 + n2 − 2; large-sample variance
  1/n1 + 1/n2 + g²/(2(n1 + n2)) (``measure="SMD"``, ``vtype="LS"``).
* RR and OR on the log scale from a 2×2 table (events a of n1, c of n2), with 1/2 added
  to every cell of a table that has a zero cell, and only then (``to="only0"``).
* 95 % CIs are yi ± z(0.975) √vi (for RR and OR: exponentiated).
* Medians and quartiles: the mean by Luo et al. (2018), Stat Methods Med Res 27:1785,
  scenario S2; the mean and SD by Wan et al. (2014), BMC Med Res Methodol 14:135,
  scenario C3. Values derived this way are flagged ``estimated``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.special import gammaln
from scipy.stats import norm

Z = float(norm.ppf(0.975))


@dataclass(frozen=True)
class Effect:
    measure: str  # "MD", "SMD", "RR", "OR"
    yi: float  # MD, g, or the log RR / log OR
    vi: float
    ci_low: float  # on the natural scale for RR and OR
    ci_high: float
    estimated: bool = False  # means/SDs estimated from medians and quartiles

    @property
    def estimate(self) -> float:
        """The effect on its natural scale (RR and OR exponentiated)."""
        return math.exp(self.yi) if self.measure in ("RR", "OR") else self.yi


@dataclass(frozen=True)
class MeanSD:
    n: int
    mean: float
    sd: float
    estimated: bool = False


def mean_difference(one: MeanSD, two: MeanSD) -> Effect:
    _check_groups(one, two)
    yi = one.mean - two.mean
    vi = one.sd ** 2 / one.n + two.sd ** 2 / two.n
    return _effect("MD", yi, vi, one.estimated or two.estimated)


def hedges_g(one: MeanSD, two: MeanSD) -> Effect:
    _check_groups(one, two)
    m = one.n + two.n - 2
    pooled = math.sqrt(((one.n - 1) * one.sd ** 2 + (two.n - 1) * two.sd ** 2) / m)
    if pooled == 0:
        raise ValueError("both groups have SD 0: no standardized difference")
    g = correction(m) * (one.mean - two.mean) / pooled
    vi = 1 / one.n + 1 / two.n + g ** 2 / (2 * (one.n + two.n))
    return _effect("SMD", g, vi, one.estimated or two.estimated)


def correction(m: int) -> float:
    """Hedges' exact small-sample correction J(m) (metafor's ``.cmicalc``)."""
    return math.exp(gammaln(m / 2) - 0.5 * math.log(m / 2) - gammaln((m - 1) / 2))


def risk_ratio(events_1: int, n_1: int, events_2: int, n_2: int) -> Effect:
    a, b, c, d = _table(events_1, n_1, events_2, n_2)
    n1, n2 = a + b, c + d
    yi = math.log((a / n1) / (c / n2))
    vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
    return _effect("RR", yi, vi, False)


def odds_ratio(events_1: int, n_1: int, events_2: int, n_2: int) -> Effect:
    a, b, c, d = _table(events_1, n_1, events_2, n_2)
    yi = math.log((a * d) / (b * c))
    vi = 1 / a + 1 / b + 1 / c + 1 / d
    return _effect("OR", yi, vi, False)


def luo_mean(q1: float, median: float, q3: float, n: int) -> float:
    """Luo et al. 2018, scenario S2 (first quartile, median, third quartile, n)."""
    _check_quartiles(q1, median, q3, n)
    weight = 0.7 + 0.39 / n
    return weight * (q1 + q3) / 2 + (1 - weight) * median


def wan_mean(q1: float, median: float, q3: float) -> float:
    """Wan et al. 2014, scenario C3: (q1 + median + q3) / 3."""
    return (q1 + median + q3) / 3


def wan_sd(q1: float, q3: float, n: int) -> float:
    """Wan et al. 2014, scenario C3: (q3 − q1) / (2 Φ⁻¹((0.75n − 0.125)/(n + 0.25)))."""
    if n < 2 or q3 < q1:
        raise ValueError("need n ≥ 2 and q1 ≤ q3")
    return (q3 - q1) / (2 * float(norm.ppf((0.75 * n - 0.125) / (n + 0.25))))


def from_quartiles(q1: float, median: float, q3: float, n: int) -> MeanSD:
    """Mean (Luo) and SD (Wan) of a group reported as median (IQR), flagged estimated."""
    return MeanSD(n, luo_mean(q1, median, q3, n), wan_sd(q1, q3, n), estimated=True)


def _effect(measure: str, yi: float, vi: float, estimated: bool) -> Effect:
    half = Z * math.sqrt(vi)
    low, high = yi - half, yi + half
    if measure in ("RR", "OR"):
        low, high = math.exp(low), math.exp(high)
    return Effect(measure, yi, vi, low, high, estimated)


def _table(events_1: int, n_1: int, events_2: int, n_2: int) -> tuple[float, ...]:
    for events, n in ((events_1, n_1), (events_2, n_2)):
        if n < 1 or not 0 <= events <= n:
            raise ValueError("need 0 ≤ events ≤ n and n ≥ 1 in each group")
    cells = (events_1, n_1 - events_1, events_2, n_2 - events_2)
    if 0 in cells:
        return tuple(cell + 0.5 for cell in cells)  # only for a table with a zero cell
    return tuple(float(cell) for cell in cells)


def _check_groups(one: MeanSD, two: MeanSD) -> None:
    if one.n < 2 or two.n < 2 or one.sd < 0 or two.sd < 0:
        raise ValueError("need n ≥ 2 and SD ≥ 0 in each group")


def _check_quartiles(q1: float, median: float, q3: float, n: int) -> None:
    if n < 1 or not q1 <= median <= q3:
        raise ValueError("need n ≥ 1 and q1 ≤ median ≤ q3")
