"""kruskal_wallis(): tie-corrected H and Dunn's test (tie-corrected SE, Bonferroni)."""

import math

import pandas as pd
import pytest
import scikit_posthocs as sp
from scipy import stats
from stats_ref import assert_close, case_ids, differs, load_cases

from clinic.stats import kruskal_wallis

CASES = load_cases("kruskal_wallis")


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_matches_r(case: dict) -> None:
    """R: kruskal.test; Dunn z = (R̄i - R̄j) / sqrt((N(N+1)/12 - Σ(t³-t)/(12(N-1)))(1/ni + 1/nj))."""
    res = kruskal_wallis(case["groups"])
    assert res.reason is None and res.df == case["df"]
    assert_close(res.statistic, case["statistic"])
    assert_close(res.p, case["p"])
    ref = case["pairwise"]
    assert list(res.pairwise["a"]) == ref["a"] and list(res.pairwise["b"]) == ref["b"]
    for col in ("z", "p", "p_adj"):
        for got, want in zip(res.pairwise[col], ref[col], strict=True):
            assert_close(got, want)
    assert (res.pairwise["p_adj"] <= 1).all()


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_cross_checks_and_untied_dunn_would_fail(case: dict) -> None:
    groups = case["groups"]
    assert_close(float(stats.kruskal(*groups.values()).statistic), case["statistic"])
    long = pd.DataFrame([(g, v) for g, vs in groups.items() for v in vs], columns=["g", "v"])
    lib = sp.posthoc_dunn(long, val_col="v", group_col="g", p_adjust="bonferroni", sort=False)
    res = kruskal_wallis(groups)
    for row in res.pairwise.itertuples():
        assert_close(row.p_adj, float(lib.loc[row.a, row.b]))
    has_ties = len({v for vs in groups.values() for v in vs}) < len(long)
    if has_ties:
        assert any(differs(u, p) for u, p in zip(case["p_untied_dunn"], res.pairwise["p"],
                                                strict=True))


def test_published_hollander_wolfe() -> None:
    """R ?kruskal.test: Kruskal-Wallis chi-squared = 0.77143, df = 2, p-value = 0.68."""
    res = kruskal_wallis(CASES[-1]["groups"])
    assert (round(res.statistic, 5), res.df, round(res.p, 2)) == (0.77143, 2, 0.68)


def test_not_computable_cases() -> None:
    assert "two groups" in kruskal_wallis({"a": [1, 2, 3]}).reason
    empty = kruskal_wallis({"a": [1, 2], "b": [None], "c": [4, 5]})
    assert empty.reason and "b" in empty.reason and empty.statistic is None
    tied = kruskal_wallis({"a": [3, 3], "b": [3], "c": [3, 3, 3]})
    assert tied.reason and "tied" in tied.reason and tied.p is None and tied.pairwise is None


def test_tiny_groups_and_missing() -> None:
    res = kruskal_wallis({"a": [1], "b": [2, math.nan], "c": [3, 4]})
    assert res.reason is None and res.group_n == {"a": 1, "b": 1, "c": 2}
    assert res.missing == {"a": 0, "b": 1, "c": 0} and res.n == 4
    assert_close(res.statistic, float(stats.kruskal([1], [2], [3, 4]).statistic))
