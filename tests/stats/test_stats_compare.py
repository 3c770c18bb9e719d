"""compare_groups(): the paper's rule for choosing the test."""

import numpy as np

from clinic.stats import compare_groups, kruskal_wallis, mann_whitney, normality, t_test


def normal_groups() -> dict[str, list[float]]:
    rng = np.random.default_rng(7)
    return {"A": list(np.round(rng.normal(51.3, 8.8, 40), 1)),
            "B": list(np.round(rng.normal(52.7, 10.1, 44), 1))}


def test_normal_groups_use_student_t() -> None:
    groups = normal_groups()
    assert all(normality(v).is_normal for v in groups.values())
    res = compare_groups(groups)
    assert res.test == "student_t" and "every group" in res.reason_for_test
    direct = t_test(groups["A"], groups["B"])
    assert res.p == direct.p and res.statistic == direct.t and res.result == direct
    assert set(res.descriptives) == {"A", "B"} and res.descriptives["A"].n == 40


def test_non_normal_group_uses_mann_whitney() -> None:
    groups = normal_groups()
    groups["B"] = [0] * 20 + [1] * 10 + [2, 3, 9, 10]
    res = compare_groups(groups)
    assert res.test == "mann_whitney" and "in B" in res.reason_for_test
    direct = mann_whitney(groups["A"], groups["B"])
    assert res.p == direct.p and res.statistic == direct.u


def test_unassessable_normality_uses_rank_test() -> None:
    res = compare_groups({"A": [5, 6, 7, 4, 5, 6], "B": [3, 4]})
    assert res.test == "mann_whitney" and "not assessable" in res.reason_for_test
    assert res.p is not None and res.reason is None


def test_three_groups_use_kruskal_wallis() -> None:
    groups = {"fluoro": [3, 4, 2, 5, 3], "ct": [4, 5, 6, 4], "us": [6, 7, 5, 8, 6]}
    res = compare_groups(groups)
    assert res.test == "kruskal_wallis" and res.p == kruskal_wallis(groups).p


def test_not_computable_comparisons_carry_the_reason() -> None:
    same = compare_groups({"A": [4, 4, 4, 4], "B": [4, 4, 4]})
    assert same.test == "mann_whitney" and same.p is None and "tied" in same.reason
    empty = compare_groups({"A": [], "B": [1, 2, 3, 4, 5]})
    assert empty.reason and empty.p is None and empty.descriptives["A"].n == 0
    alone = compare_groups({"A": [1, 2, 3]})
    assert alone.reason and alone.test is None
