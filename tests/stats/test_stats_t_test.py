"""t_test(): Student's t, Welch's t, mean-centred Levene and Cohen's d, against R."""

import math
import statistics
import warnings

import pytest
from scipy import stats
from stats_ref import assert_close, case_ids, differs, load_cases

from clinic.stats import t_test

CASES = load_cases("t_test")


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_matches_r(case: dict) -> None:
    """R: t.test(var.equal = TRUE / FALSE); Levene = anova(lm(|x - mean| ~ g)); d by formula."""
    res = t_test(case["x"], case["y"])
    assert res.reason is None
    for field in ("t", "df", "p", "welch_t", "welch_df", "welch_p", "levene_f", "levene_p",
                  "cohen_d"):
        assert_close(getattr(res, field), case[field])


def test_published_sleep_example() -> None:
    """?t.test sleep data: Welch t = -1.8608, df = 17.776, p = 0.07939; Student p = 0.07919."""
    case = next(c for c in CASES if c["name"] == "sleep_r_doc")
    res = t_test(case["x"], case["y"])
    assert (round(res.welch_t, 4), round(res.welch_df, 3), round(res.welch_p, 5)) == (
        -1.8608, 17.776, 0.07939)
    assert (round(res.t, 4), res.df, round(res.p, 5)) == (-1.8608, 18.0, 0.07919)


@pytest.mark.parametrize("case", [c for c in CASES if len(c["x"]) > 1], ids=case_ids)
def test_scipy_mean_centred_levene_agrees_and_its_default_does_not(case: dict) -> None:
    mean_centred = stats.levene(case["x"], case["y"], center="mean")
    assert_close(float(mean_centred.statistic), case["levene_f"])
    default = stats.levene(case["x"], case["y"])  # median-centred (Brown-Forsythe)
    if any(statistics.mean(v) != statistics.median(v) for v in (case["x"], case["y"])):
        assert differs(float(default.pvalue), case["levene_p"])


def test_student_is_not_welch() -> None:
    case = next(c for c in CASES if c["name"] == "age")
    res = t_test(case["x"], case["y"])
    assert differs(res.p, res.welch_p)
    assert_close(res.p, float(stats.ttest_ind(case["x"], case["y"]).pvalue))


def test_single_value_group_keeps_student_but_not_welch() -> None:
    case = next(c for c in CASES if c["name"] == "n1_vs_5")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scipy_welch = stats.ttest_ind(case["x"], case["y"], equal_var=False).statistic
    assert math.isnan(scipy_welch)  # a NaN, not an explanation
    res = t_test(case["x"], case["y"])
    assert_close(res.t, float(stats.ttest_ind(case["x"], case["y"]).statistic))
    assert res.welch_t is None and res.welch_reason and "2 values" in res.welch_reason
    assert res.t is not None and res.df == 4.0


def test_zero_variance() -> None:
    one = t_test([5, 5, 5, 5], [3, 4, 6, 7, 5])
    assert one.reason is None and one.welch_t is not None
    both = t_test([5, 5, 5], [5, 5, 5.0000000000000001])
    assert both.reason and "zero variance" in both.reason and both.t is None and both.p is None
    assert both.cohen_d is None and both.levene_f is None
    levene_flat = t_test([1, 3], [5, 7, 5, 7])  # |x - mean| constant within each group
    assert levene_flat.levene_f is None and levene_flat.levene_reason
    assert levene_flat.t is not None


def test_degenerate_sizes_and_missing() -> None:
    assert t_test([], [1, 2, 3]).reason
    assert t_test([1], [2]).reason
    res = t_test([1, None, 3, 4], [2, math.nan, 6, 7, 9])
    assert (res.n1, res.n2, res.missing_x, res.missing_y) == (3, 4, 1, 1)
    assert_close(res.t, float(stats.ttest_ind([1, 3, 4], [2, 6, 7, 9]).statistic))
