"""chi_square() / compare_categorical(): Pearson without Yates, Fisher for sparse tables
(2×2; R×C: Fisher–Freeman–Halton, tests/stats/test_stats_exact.py)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from stats_ref import assert_close, case_ids, differs, load_cases

from clinic.stats import chi_square, compare_categorical
from clinic.stats.format import format_p

CASES = load_cases("chi_square")


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_matches_r(case: dict) -> None:
    """R: chisq.test(correct = FALSE) on the table without all-zero rows; fisher.test."""
    res = chi_square(case["table"])
    assert res.reason is None
    assert res.df == case["df"] and res.cells_below_5 == case["cells_below_5"]
    for field in ("statistic", "p", "fisher_p", "min_expected"):
        assert_close(getattr(res, field), case[field])


@pytest.mark.parametrize("case", [c for c in CASES if c["yates_p"] is not None], ids=case_ids)
def test_yates_default_would_fail(case: dict) -> None:
    table = np.array(case["table"])
    table = table[table.sum(axis=1) > 0]
    assert_close(float(stats.chi2_contingency(table).pvalue), case["yates_p"])
    assert differs(case["yates_p"], case["p"])


# Group A / group B counts and the p printed in the seed trial paper (Tables 1, 2, 5, 6).
PAPER_TABLES = {
    "gender": ([[46, 44], [54, 56]], "0.776"),
    "L3 laterality": ([[94, 95], [6, 5]], "0.756"),
    "L4 laterality": ([[21, 20], [43, 38], [36, 42]], "0.672"),
    "L5 laterality": ([[10, 12], [47, 42], [43, 46]], "0.754"),
    "roots injected": ([[73, 70], [21, 25], [6, 5]], "0.778"),
    "side of injection": ([[22, 25], [21, 19], [15, 12], [42, 44]], "0.880"),
    "complications": ([[99, 96], [1, 1], [0, 1], [0, 2]], "0.385"),
    "contrast extravasation": ([[95, 95], [5, 5]], "1.000"),
    "morphine before": ([[96, 98], [4, 2]], "0.407"),
    "morphine 1 month": ([[100, 99], [0, 1]], "0.316"),
    "satisfaction with results": ([[1, 1], [5, 6], [49, 58], [45, 35]], "0.552"),
}


@pytest.mark.parametrize("name", list(PAPER_TABLES))
def test_reproduces_the_paper(name: str) -> None:
    """Published values: SPSS 20 Pearson χ² p as printed in the seed paper.

    (Table 6 "satisfaction with the procedure", printed 0.870, is left out: its
    counts give 0.776 with or without Yates - the printed value cannot come
    from the printed table.)
    """
    table, printed = PAPER_TABLES[name]
    assert format_p(chi_square(table).p) == printed


def test_paper_printed_pearson_where_fisher_would_be_chosen() -> None:
    res = chi_square(PAPER_TABLES["morphine before"][0])
    assert res.fisher_p is not None and format_p(res.fisher_p) == "0.683"
    assert compare_categorical(PAPER_TABLES["morphine before"][0]).test == "fisher_exact"


def test_zero_rows_are_dropped_and_reported() -> None:
    df = pd.DataFrame([[12, 5, 0], [0, 0, 0], [7, 14, 0]], index=["no", "maybe", "yes"],
                      columns=["A", "B", "C"])
    res = chi_square(df)
    assert res.dropped_rows == ("maybe",) and res.dropped_cols == ("C",)
    assert res.rows == ("no", "yes") and res.cols == ("A", "B")
    assert len(res.notes) == 2 and res.df == 1
    assert res.n == 38 and len(res.expected) == 2


def test_not_computable_and_invalid_tables() -> None:
    res = chi_square([[5, 0], [7, 0]])
    assert res.reason and res.statistic is None and res.p is None
    for bad in ([[1, -2], [3, 4]], [[1.5, 2], [3, 4]], [[1, math.nan], [3, 4]], [1, 2, 3]):
        with pytest.raises(ValueError):
            chi_square(bad)


def test_footnote_fields() -> None:
    res = chi_square([[1, 6, 2], [4, 1, 9]])
    assert res.n_cells == 6 and res.cells_below_5 == 5
    assert res.pct_cells_below_5 == pytest.approx(100 * 5 / 6)
    assert res.fisher_p == pytest.approx(0.0136626733, abs=1e-10)  # R×C: R's fisher.test


def test_compare_categorical_choice() -> None:
    sparse = compare_categorical([[3, 7], [8, 2]])
    assert sparse.test == "fisher_exact" and sparse.p == sparse.result.fisher_p
    assert "expected count < 5" in sparse.reason_for_test
    big = compare_categorical([[46, 44], [54, 56]])
    assert big.test == "pearson_chi_square" and big.p == big.result.p
    rxc = compare_categorical([[1, 6, 2], [4, 1, 9]])
    assert rxc.test == "fisher_freeman_halton" and rxc.p == rxc.result.fisher_p
    assert rxc.reason_for_test.startswith("2×3 table and 5 cells")
    plenty = compare_categorical([[21, 20], [43, 38], [36, 42]])  # no expected count < 5
    assert plenty.test == "pearson_chi_square" and plenty.result.fisher_p is None
    empty = compare_categorical([[0, 0], [0, 3]])
    assert empty.reason and empty.test is None and empty.p is None


def test_published_r_examples() -> None:
    """?chisq.test: X-squared = 30.07, df = 2, p = 2.954e-07; ?fisher.test TeaTasting: 0.4857."""
    party = chi_square([[762, 327, 468], [484, 239, 477]])
    assert (round(party.statistic, 2), party.df, float(f"{party.p:.4g}")) == (30.07, 2, 2.954e-07)
    assert round(chi_square([[3, 1], [1, 3]]).fisher_p, 4) == 0.4857
