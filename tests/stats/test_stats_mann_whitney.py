"""mann_whitney(): SPSS's U, tie-corrected Z without continuity correction, against R."""

import math

import numpy as np
import pytest
from scipy import stats
from stats_ref import assert_close, case_ids, differs, load_cases, nan_list, present

from clinic.stats import mann_whitney

CASES = load_cases("mann_whitney")


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_matches_r_wilcox_test(case: dict) -> None:
    """R: wilcox.test(x, y, exact = FALSE, correct = FALSE); Z, r and r_rb by formula."""
    res = mann_whitney(nan_list(case["x"]), nan_list(case["y"]))
    assert res.reason is None
    assert (res.n1, res.n2) == (case["n1"], case["n2"])
    for field in ("u1", "u", "z", "p", "p_exact", "r", "rank_biserial"):
        assert_close(getattr(res, field), case[field])
    assert res.z <= 0  # SPSS reports Z for U = min(U1, U2)
    assert res.missing_x == sum(v is None for v in case["x"])


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_matches_scipy_with_spss_options(case: dict) -> None:
    x, y = present(case["x"]), present(case["y"])
    ref = stats.mannwhitneyu(x, y, use_continuity=False, method="asymptotic")
    res = mann_whitney(x, y)
    assert_close(res.u1, float(ref.statistic))
    assert_close(res.p, float(ref.pvalue))


def test_scipy_default_would_fail() -> None:
    """scipy's default (continuity correction, 'auto' method) is not what SPSS prints."""
    informative = [c for c in CASES if c["p"] < 1]  # p = 1 (z = 0) is p = 1 either way
    assert len(informative) == len(CASES) - 2
    for case in informative:
        x, y = present(case["x"]), present(case["y"])
        assert differs(float(stats.mannwhitneyu(x, y).pvalue), case["p"]), case["name"]


def test_exact_p_only_without_ties_and_small_samples() -> None:
    by_name = {c["name"]: c for c in CASES}
    ties = by_name["vas_1month_ties_missing"]
    res = mann_whitney(nan_list(ties["x"]), nan_list(ties["y"]))
    assert res.p_exact is None and any("ties" in n for n in res.notes)
    big = by_name["no_ties_60_55_too_big_for_exact"]
    res = mann_whitney(big["x"], big["y"])
    assert res.p_exact is None and any("more than 50" in n for n in res.notes)
    small = by_name["small_no_ties"]
    assert mann_whitney(small["x"], small["y"]).p_exact == pytest.approx(small["p_exact"], 1e-12)


def test_published_r_example() -> None:
    """?wilcox.test: W = 35, one-sided ("greater") exact p = 0.1272, so two-sided 0.2544."""
    case = next(c for c in CASES if c["name"] == "r_doc_example")
    res = mann_whitney(case["x"], case["y"])
    assert res.u1 == 35.0
    assert round(res.p_exact, 4) == 0.2544 and round(res.p_exact / 2, 4) == 0.1272


def test_all_values_tied_gives_no_z() -> None:
    res = mann_whitney([3, 3, 3], [3, 3])
    assert res.reason and "tied" in res.reason
    assert res.z is None and res.p is None and res.r is None
    assert res.u == 3.0 and res.rank_biserial == 0.0  # still well defined


def test_empty_sample_is_not_computable() -> None:
    res = mann_whitney([None, math.nan], [1, 2, 3])
    assert res.reason and res.u is None and res.p is None
    assert res.missing_x == 2 and res.n2 == 3


def test_odi_float_percentages_tie_with_integer_percentages() -> None:
    """ODI % = score / 50 * 100 in floating point breaks ties with the same % typed as 2 * score."""
    scores_x = [7, 14, 28, 29, 7, 20, 14, 33]
    scores_y = [7, 14, 28, 29, 12, 40, 35]
    x = [s / 50 * 100 for s in scores_x]
    y = [float(2 * s) for s in scores_y]
    assert x[0] != y[0]  # 14.000000000000002 vs 14.0
    res = mann_whitney(x, y)
    ref = mann_whitney([2 * s for s in scores_x], [2 * s for s in scores_y])
    assert (res.u1, res.z, res.p) == (ref.u1, ref.z, ref.p)
    naive = stats.mannwhitneyu(x, y, use_continuity=False, method="asymptotic")
    assert differs(float(naive.pvalue), res.p, rel=1e-9)


def test_direction_of_effect_sizes() -> None:
    res = mann_whitney([6, 7, 8, 9], [1, 2, 3, 4.5])
    assert res.rank_biserial == 1.0 and res.u == 0.0 and res.u1 == 16.0
    assert res.r == pytest.approx(abs(res.z) / np.sqrt(8))


def test_an_empty_group_says_so_in_plain_words():
    """The reason is shown as it is in the cohort view and the report (it said "a sample
    has no non-missing values", found trying the screens as a new user would)."""
    result = mann_whitney([1.0, 2.0, 3.0], [math.nan, math.nan])
    assert result.reason == "one group has no values: nothing to compare"
    assert result.n2 == 0 and result.missing_y == 2
