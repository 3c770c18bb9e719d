"""normality(): KS-Lilliefors (Dallal-Wilkinson) beside Shapiro-Wilk, against R."""

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from stats_ref import assert_close, case_ids, load_cases, nan_list, present

from clinic.stats import normality
from clinic.stats.format import format_ks_p

CASES = load_cases("normality")


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_shapiro_wilk_matches_r(case: dict) -> None:
    """W to 1e-7 relative; p to 1e-7 relative or absolute (for n = 300, p = 4.5e-7,
    scipy's p is 2e-7 relative / 9e-14 absolute away from R while W agrees to 1e-9)."""
    res = normality(nan_list(case["values"]))
    assert_close(res.shapiro_w, case["shapiro_w"], rel=1e-7)
    assert_close(res.shapiro_p, case["shapiro_p"], rel=1e-7, abs_=1e-7)


KS_CASES = [c for c in CASES if c["ks_d"] is not None]


@pytest.mark.parametrize("case", KS_CASES, ids=case_ids(KS_CASES))
def test_ks_lilliefors_matches_hand_formula(case: dict) -> None:
    """D by hand in R; p via the Dallal-Wilkinson formula where it is valid (p <= 0.1)."""
    res = normality(nan_list(case["values"]))
    assert_close(res.ks_d, case["ks_d"])
    p_dw = case["ks_p_dallal_wilkinson"]
    if p_dw <= 0.1:
        assert_close(res.ks_p, p_dw)
        assert res.is_normal is (p_dw >= 0.05)
    else:  # statsmodels switches to its simulated table above 0.1
        assert res.ks_p > 0.1 and res.is_normal is True


def test_reference_covers_both_branches_of_the_p_approximation() -> None:
    ps = [c["ks_p_dallal_wilkinson"] for c in CASES if c["ks_d"] is not None]
    assert any(p < 0.05 for p in ps) and any(p > 0.2 for p in ps)
    big = [c for c in CASES if len(present(c["values"])) > 100 and c["ks_d"] is not None]
    assert any(c["ks_p_dallal_wilkinson"] <= 0.1 for c in big)  # the n > 100 rescaling


def test_p_above_0_2_is_flagged_for_display() -> None:
    case = next(c for c in CASES if c["name"] == "age_a_normalish")
    res = normality(present(case["values"]))
    assert res.ks_p >= 0.2 and res.ks_p_at_least_0_2 is True
    assert format_ks_p(res.ks_p, res.ks_p_at_least_0_2) == "≥ 0.200"
    low = normality(present(next(c for c in CASES if c["name"].startswith("skewed"))["values"]))
    assert low.ks_p_at_least_0_2 is False and format_ks_p(low.ks_p) == "< 0.001"


def test_constant_data_is_not_computable_although_scipy_says_normal() -> None:
    values = [5.0] * 12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lie = stats.shapiro(values)
    assert (lie.statistic, lie.pvalue) == (1.0, 1.0)  # the silent lie
    res = normality(values)
    assert res.reason and "identical" in res.reason
    assert res.shapiro_w is None and res.shapiro_p is None and res.ks_p is None
    assert res.is_normal is None
    # float noise does not make data non-constant
    assert normality([14.0, 7 / 50 * 100, 14.0, 14.0]).reason is not None


def test_small_samples() -> None:
    n3 = normality([2, 3, 7])
    assert n3.shapiro_w is not None and n3.ks_d is None
    assert n3.reason and "n >= 4" in n3.reason and n3.is_normal is None
    n2 = normality([2, 3])
    assert n2.shapiro_w is None and "n >= 3" in n2.shapiro_reason
    empty = normality([None])
    assert empty.reason == "no non-missing values" and empty.missing == 1


def test_shapiro_not_computed_above_5000() -> None:
    rng = np.random.default_rng(3)
    res = normality(rng.integers(0, 11, size=6000))
    assert res.shapiro_w is None and "5000" in res.shapiro_reason
    assert res.reason is None and res.ks_d is not None and res.is_normal is False


def test_missing_values_are_dropped_and_counted() -> None:
    case = next(c for c in CASES if c["name"] == "vas_a_with_missing")
    res = normality(nan_list(case["values"]))
    assert res.missing == sum(v is None for v in case["values"]) == 2
    assert res.n == len(present(case["values"]))
    assert not math.isnan(res.ks_d)
