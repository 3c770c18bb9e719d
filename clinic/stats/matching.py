"""Propensity-score matching as R's MatchIt does it by default, and covariate balance
(pure: numpy, statsmodels).

Rules (MatchIt 4.x, ``method = "nearest"``, ``distance = "glm"``, ``estimand = "ATT"``,
``replace = FALSE``, ``ratio = 1``):

* the propensity score is the fitted probability of a logistic regression (unpenalised
  maximum likelihood, statsmodels GLM Binomial, as R's ``glm``) of being in the treated
  group on the covariates, with an intercept;
* matching is on the linear predictor (the logit of the score: MatchIt's
  ``link = "linear.logit"``), greedy, 1:1, without replacement;
* treated patients are taken in decreasing order of the score (``m.order = "largest"``);
  each gets the nearest unused control; equal distances go to the control that comes
  first in the data;
* an optional caliper is in standard deviations of the linear predictor over all
  patients (``std.caliper = TRUE``); a treated patient with no control within it stays
  unmatched (listed, not silently dropped).

Balance: the standardized mean difference (SMD) of each covariate is the difference of
group means divided by the standard deviation of the treated group in the unmatched
sample (MatchIt's summary for the ATT), before and after matching; |SMD| < 0.1 is the
usual target. No p-values for balance (they depend on the sample size, not on balance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BALANCE_TARGET = 0.1


@dataclass(frozen=True)
class PropensityFit:
    score: np.ndarray  # fitted probability of being treated
    linear: np.ndarray  # the linear predictor (logit of the score)
    coefficients: np.ndarray  # intercept first
    converged: bool


@dataclass(frozen=True)
class MatchResult:
    pairs: tuple[tuple[int, int], ...]  # (treated row, control row), in matching order
    unmatched_treated: tuple[int, ...]  # rows with no control within the caliper
    caliper: float | None  # in units of the linear predictor (None: no caliper)

    @property
    def matched_rows(self) -> list[int]:
        return sorted({i for pair in self.pairs for i in pair})


@dataclass(frozen=True)
class BalanceRow:
    covariate: str
    mean_treated: float
    mean_control: float
    smd_before: float | None
    mean_control_matched: float | None
    mean_treated_matched: float | None
    smd_after: float | None

    @property
    def balanced(self) -> bool | None:
        return None if self.smd_after is None else abs(self.smd_after) < BALANCE_TARGET


def fit_propensity(covariates: np.ndarray, treated: np.ndarray) -> PropensityFit:
    """Logistic regression of ``treated`` (0/1) on ``covariates`` (rows = patients)."""
    import statsmodels.api as sm

    x = sm.add_constant(np.asarray(covariates, dtype=float), has_constant="add")
    y = np.asarray(treated, dtype=float)
    if len(y) < x.shape[1] + 1 or y.min() == y.max():
        raise ValueError("the propensity model needs patients in both groups and more "
                         "patients than covariates")
    model = sm.GLM(y, x, family=sm.families.Binomial())
    result = model.fit(tol=1e-12, maxiter=100)
    linear = x @ result.params
    return PropensityFit(score=1.0 / (1.0 + np.exp(-linear)), linear=linear,
                         coefficients=np.asarray(result.params),
                         converged=bool(result.converged))


def match_nearest(linear: Sequence[float] | np.ndarray, treated: Sequence[bool] | np.ndarray,
                  caliper_sd: float | None = None) -> MatchResult:
    """Greedy 1:1 nearest-neighbour matching without replacement (see module rules)."""
    d = np.asarray(linear, dtype=float)
    t = np.asarray(treated, dtype=bool)
    caliper = None if caliper_sd is None else caliper_sd * float(np.std(d, ddof=1))
    controls = list(np.flatnonzero(~t))  # data order: the tie-break
    order = sorted(np.flatnonzero(t), key=lambda i: (-d[i], i))  # largest first
    pairs, unmatched = [], []
    for i in order:
        best, best_distance = None, np.inf
        for j in controls:
            distance = abs(d[i] - d[j])
            if distance < best_distance:
                best, best_distance = j, distance
        if best is None or (caliper is not None and best_distance > caliper):
            unmatched.append(int(i))
            continue
        pairs.append((int(i), int(best)))
        controls.remove(best)
    return MatchResult(tuple(pairs), tuple(unmatched), caliper)


def balance(names: Sequence[str], covariates: np.ndarray, treated: np.ndarray,
            match: MatchResult | None) -> list[BalanceRow]:
    """SMD of each covariate before and, when matched, after matching (ATT scaling)."""
    x = np.asarray(covariates, dtype=float)
    t = np.asarray(treated, dtype=bool)
    treated_rows = [i for i, _ in match.pairs] if match else []
    control_rows = [j for _, j in match.pairs] if match else []
    rows = []
    for k, name in enumerate(names):
        column = x[:, k]
        sd = float(np.std(column[t], ddof=1)) if t.sum() > 1 else float("nan")
        rows.append(BalanceRow(
            covariate=name, mean_treated=float(column[t].mean()),
            mean_control=float(column[~t].mean()),
            smd_before=_smd(column[t].mean(), column[~t].mean(), sd),
            mean_treated_matched=float(column[treated_rows].mean()) if treated_rows else None,
            mean_control_matched=float(column[control_rows].mean()) if control_rows else None,
            smd_after=_smd(column[treated_rows].mean(), column[control_rows].mean(), sd)
            if control_rows else None))
    return rows


def _smd(treated_mean: float, control_mean: float, sd: float) -> float | None:
    if not np.isfinite(sd) or sd == 0:
        return None
    return float((treated_mean - control_mean) / sd)


def pooled_smd(a: np.ndarray, b: np.ndarray) -> float | None:
    """Descriptive SMD between two groups: mean difference over the root of the mean of
    the two variances (Cohen's d with an unweighted pooled SD), as baseline tables of
    observational studies print beside the p-value."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return None
    spread = np.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2)
    return None if spread == 0 else float((a.mean() - b.mean()) / spread)
