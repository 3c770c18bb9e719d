"""Propensity-score matching: the scores equal R's glm to 1e-8; the pairs are identical
to pymatchit-causal's (a port of MatchIt) on a tie-free registry, with and without a
caliper of 0.2 SD of the logit; the balance rules are MatchIt's (ATT scaling)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clinic.stats.matching import balance, fit_propensity, match_nearest, pooled_smd

REFERENCE = json.loads((Path(__file__).parent / "reference" / "psm.json").read_text())
COVARIATES = REFERENCE["covariates"]


def _data() -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    frame = pd.DataFrame({k: REFERENCE[k] for k in COVARIATES})
    frame["treated"] = REFERENCE["treated"]
    return frame[COVARIATES].to_numpy(float), frame["treated"].to_numpy(), frame


def test_the_scores_equal_r_glm():
    x, t, _ = _data()
    fit = fit_propensity(x, t)
    assert fit.converged
    assert np.max(np.abs(fit.score - np.array(REFERENCE["score"]))) < 1e-8
    assert np.max(np.abs(fit.linear - np.array(REFERENCE["linear"]))) < 1e-8
    assert np.max(np.abs(fit.coefficients - np.array(REFERENCE["coefficients"]))) < 1e-8


@pytest.mark.parametrize("caliper", [None, 0.2])
def test_the_pairs_equal_matchit_semantics(caliper):
    from pymatchit import MatchIt

    x, t, frame = _data()
    mine = match_nearest(fit_propensity(x, t).linear, t.astype(bool), caliper)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = MatchIt(frame, method="nearest", distance="glm", link="linear.logit",
                            caliper=caliper, m_order="largest", estimand="ATT",
                            replace=False)
        reference.fit("treated ~ " + " + ".join(COVARIATES))
        theirs = reference.matches()
    assert sorted(mine.pairs) == sorted(zip(theirs["treated_index"], theirs["control_index"],
                                            strict=True))
    assert len(mine.pairs) == (113 if caliper is None else 108)
    if caliper is not None:
        linear = fit_propensity(x, t).linear
        assert all(abs(linear[i] - linear[j]) <= mine.caliper for i, j in mine.pairs)
        assert len(mine.unmatched_treated) == 5


def test_greedy_order_and_ties():
    # treated 0 (largest score) takes control 3, the nearest; treated 1 then gets the
    # nearest left. Controls 4 and 5 are equally near treated 2: the first in the data.
    linear = [3.0, 2.0, 0.0, 2.9, 0.5, -0.5, 1.0]
    treated = [True, True, True, False, False, False, False]
    result = match_nearest(linear, treated)
    assert result.pairs == ((0, 3), (1, 6), (2, 4))
    strict = match_nearest(linear, treated, caliper_sd=0.1)
    assert (0, 3) in strict.pairs and 2 in strict.unmatched_treated


def test_balance_scales_by_the_treated_sd_of_the_unmatched_sample():
    x = np.array([[1.0], [3.0], [5.0], [2.0], [9.0]])
    t = np.array([True, True, True, False, False])
    rows = balance(["v"], x, t, match_nearest(x[:, 0], t))
    sd_t = np.std([1.0, 3.0, 5.0], ddof=1)
    assert rows[0].smd_before == pytest.approx((3.0 - 5.5) / sd_t)
    assert rows[0].smd_after is not None


def test_the_descriptive_smd_uses_the_mean_of_the_variances():
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 4.0, 6.0])
    expected = (a.mean() - b.mean()) / np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    assert pooled_smd(a, b) == pytest.approx(expected)
    assert pooled_smd(np.array([1.0]), b) is None


def test_one_group_only_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="both groups"):
        fit_propensity(np.ones((5, 1)), np.ones(5))
