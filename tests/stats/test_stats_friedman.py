"""friedman(): tie-corrected χ² on complete cases, Kendall's W, SPSS pairwise, against R."""

import math

import numpy as np
import pandas as pd
import pytest
import scikit_posthocs as sp
from scipy import stats
from stats_ref import assert_close, case_ids, differs, load_cases, long_frame

from clinic.stats import friedman

CASES = load_cases("friedman")


def complete_matrix(case: dict) -> pd.DataFrame:
    m = pd.DataFrame(case["matrix"], index=case["subjects"], columns=case["timepoints"])
    return m.dropna().astype(float)


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
@pytest.mark.parametrize("absent_rows", [0, 1])
def test_matches_r(case: dict, absent_rows: int) -> None:
    """R: friedman.test on complete rows; W = χ²/(n(k-1)); pairwise by the SPSS formula."""
    res = friedman(long_frame(case, absent_rows), order=case["timepoints"])
    assert res.reason is None
    assert (res.n, res.df, res.k) == (case["n"], case["df"], len(case["timepoints"]))
    assert list(res.excluded) == case["excluded"]
    assert_close(res.statistic, case["statistic"])
    assert_close(res.p, case["p"])
    assert_close(res.kendall_w, case["kendall_w"])
    ref = case["pairwise"]
    assert list(res.mean_ranks) == case["timepoints"]
    for got, want in zip(res.mean_ranks.values(), ref["mean_ranks"], strict=True):
        assert_close(got, want)
    assert list(res.pairwise["a"]) == ref["a"] and list(res.pairwise["b"]) == ref["b"]
    for col in ("z", "p", "p_adj"):
        for got, want in zip(res.pairwise[col], ref[col], strict=True):
            assert_close(got, want)


def test_published_rounding_times() -> None:
    """Hollander & Wolfe (R ?friedman.test): χ² = 11.143, df = 2, p = 0.003805."""
    case = CASES[0]
    res = friedman(long_frame(case))
    assert (round(res.statistic, 3), res.df, round(res.p, 6)) == (11.143, 2, 0.003805)


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_scikit_posthocs_siegel_friedman_agrees(case: dict) -> None:
    """posthoc_siegel_friedman on the complete-case matrix gives the same adjusted p."""
    m = complete_matrix(case)
    lib = sp.posthoc_siegel_friedman(m, p_adjust="bonferroni")
    res = friedman(long_frame(case), order=case["timepoints"])
    for row in res.pairwise.itertuples():
        assert_close(row.p_adj, float(lib.loc[row.a, row.b]))


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_other_post_hocs_would_fail(case: dict) -> None:
    m = complete_matrix(case)
    res = friedman(long_frame(case), order=case["timepoints"])
    ours = res.pairwise.set_index(["a", "b"])["p_adj"]
    for other in (sp.posthoc_nemenyi_friedman(m), sp.posthoc_conover_friedman(m)):
        assert any(differs(float(other.loc[a, b]), p) for (a, b), p in ours.items() if p < 1)


def test_tie_correction_and_complete_cases_matter() -> None:
    case = next(c for c in CASES if c["name"] == "vas_6_timepoints_missing")
    m = complete_matrix(case)
    n, k = m.shape
    ranks = m.rank(axis=1).to_numpy()
    uncorrected = 12 / (n * k * (k + 1)) * np.sum(ranks.sum(0) ** 2) - 3 * n * (k + 1)
    assert differs(uncorrected, case["statistic"])
    assert_close(float(stats.friedmanchisquare(*m.to_numpy().T).statistic), case["statistic"])
    # using every available value per timepoint (no complete-case rule) is not the same test
    all_rows = pd.DataFrame(case["matrix"]).fillna(pd.DataFrame(case["matrix"]).mean())
    naive = stats.friedmanchisquare(*all_rows.to_numpy().T).statistic
    assert differs(float(naive), case["statistic"])


def test_duplicates_raise() -> None:
    df = pd.DataFrame({"subject": [1, 1, 1, 2, 2], "timepoint": ["a", "b", "b", "a", "b"],
                       "value": [1, 2, 3, 4, 5]})
    with pytest.raises(ValueError, match="duplicate"):
        friedman(df)


def test_bad_labels_raise() -> None:
    df = pd.DataFrame({"subject": [1, 1, 2, 2], "timepoint": ["a", "b", "a", "c"],
                       "value": [1, 2, 3, 4]})
    with pytest.raises(ValueError, match="not in the given order"):
        friedman(df, order=["a", "b"])
    with pytest.raises(ValueError, match="missing labels"):
        friedman(df.assign(subject=[1, None, 2, 2]))
    with pytest.raises(ValueError, match="not in data"):
        friedman(df, value="score")
    with pytest.raises(ValueError, match="non-numeric"):
        friedman(df.assign(value=["1", "2", "3", "4"]))


def test_all_ties_in_every_subject_is_not_computable() -> None:
    df = pd.DataFrame({"subject": np.repeat([1, 2, 3], 3), "timepoint": ["a", "b", "c"] * 3,
                       "value": [4, 4, 4, 2, 2, 2, 7, 7, 14 / 2]})
    res = friedman(df)
    assert res.reason and res.statistic is None and res.p is None and res.kendall_w is None
    assert res.pairwise is None and res.n == 3


def test_no_complete_subject_and_single_timepoint() -> None:
    df = pd.DataFrame({"subject": [1, 1, 2, 2], "timepoint": ["a", "b", "a", "b"],
                       "value": [1, None, math.nan, 3]})
    res = friedman(df)
    assert res.reason and res.n == 0 and res.excluded == (1, 2) and res.missing_values == 2
    one = friedman(df[df.timepoint == "a"])
    assert one.reason and "two timepoints" in one.reason


def test_order_and_categorical_timepoints() -> None:
    case = CASES[1]
    df = long_frame(case)
    reverse = list(reversed(case["timepoints"]))
    res = friedman(df, order=reverse)
    assert list(res.mean_ranks) == reverse
    assert_close(res.statistic, case["statistic"])
    shuffled = df.sample(frac=1, random_state=1)
    shuffled["timepoint"] = pd.Categorical(shuffled["timepoint"], categories=case["timepoints"])
    assert list(friedman(shuffled).mean_ranks) == case["timepoints"]


def test_odi_float_ties_within_subject() -> None:
    scores = [[7, 14, 14], [28, 29, 28], [20, 7, 7], [29, 14, 28]]
    rows = [{"subject": i, "timepoint": t, "value": s / 50 * 100 if t != "b" else 2.0 * s}
            for i, row in enumerate(scores) for t, s in zip("abc", row, strict=True)]
    res = friedman(pd.DataFrame(rows))
    exact = [{"subject": i, "timepoint": t, "value": 2 * s}
             for i, row in enumerate(scores) for t, s in zip("abc", row, strict=True)]
    assert res.statistic == friedman(pd.DataFrame(exact)).statistic
    raw = pd.DataFrame(rows).pivot(index="subject", columns="timepoint", values="value")
    assert differs(float(stats.friedmanchisquare(*raw.to_numpy().T).statistic), res.statistic)


def test_friedman_on_no_data_is_not_computable_not_a_crash():
    import pandas as pd

    from clinic.stats import friedman

    empty = pd.DataFrame({"subject": [], "timepoint": [], "value": []})
    for order in (None, []):
        result = friedman(empty, order=order)
        assert result.statistic is None and result.p is None
        assert result.reason == "Friedman's test needs at least two timepoints"
