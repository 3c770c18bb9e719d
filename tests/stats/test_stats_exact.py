"""fisher_freeman_halton(): Fisher's exact test for R×C tables (clinic.stats.exact).

Checked three ways: against R's fisher.test (the reference file, and the Job
satisfaction example printed in R's ?fisher.test), against a plain enumeration of every
table with the same margins written here (no pruning, no merging), and against scipy's
2×2 test."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
from scipy import stats

from clinic.stats import chi_square, compare_categorical
from clinic.stats.exact import fisher_freeman_halton


def _fits(total: int, left: list[int]) -> Iterator[list[int]]:
    if len(left) == 1:
        if total <= left[0]:
            yield [total]
        return
    for first in range(min(total, left[0]) + 1):
        for rest in _fits(total - first, left[1:]):
            yield [first, *rest]


def enumerated_p(table: np.ndarray) -> float:
    """Every table with the observed margins, one by one: the sum of the probabilities
    of those no more probable than the observed one (R's relative tolerance 1e-7)."""
    rows, columns, n = table.sum(axis=1), table.sum(axis=0), int(table.sum())
    constant = (sum(math.lgamma(r + 1) for r in rows)
                + sum(math.lgamma(c + 1) for c in columns) - math.lgamma(n + 1))

    def log_p(cells: list[list[int]]) -> float:
        return constant - sum(math.lgamma(x + 1) for row in cells for x in row)

    observed = log_p(table.tolist())
    total = 0.0

    def walk(i: int, left: list[int], cells: list[list[int]]) -> None:
        nonlocal total
        if i == len(rows):
            if all(v == 0 for v in left):
                value = log_p(cells)
                if value <= observed + math.log1p(1e-7):
                    total += math.exp(value)
            return
        for row in _fits(int(rows[i]), left):
            walk(i + 1, [a - b for a, b in zip(left, row, strict=True)], [*cells, row])

    walk(0, [int(c) for c in columns], [])
    return total


def test_r_documentation_job_satisfaction() -> None:
    """R's ?fisher.test: Job satisfaction by income (4×4, n = 104): p-value = 0.7827."""
    job = np.array([[1, 2, 1, 0], [3, 3, 6, 1], [10, 10, 14, 9], [6, 7, 12, 11]]).T
    assert round(fisher_freeman_halton(job), 4) == 0.7827


@pytest.mark.parametrize("seed", range(40))
def test_equals_the_plain_enumeration(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(2, 5)), int(rng.integers(2, 4)))
    table = rng.integers(0, 6, size=shape)
    table[0, 0] += 1  # (a row and a column with a count)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if min(table.shape) < 2:
        pytest.skip("a single row or column: nothing to test")
    assert fisher_freeman_halton(table) == pytest.approx(enumerated_p(table), rel=1e-9)


@pytest.mark.parametrize("table", [[[3, 1], [1, 3]], [[8, 2], [1, 5]], [[0, 5], [6, 1]],
                                   [[12, 3], [4, 9]], [[96, 98], [4, 2]]])
def test_a_2x2_table_equals_scipy(table: list[list[int]]) -> None:
    assert fisher_freeman_halton(table) == pytest.approx(
        stats.fisher_exact(table).pvalue, rel=1e-9)


def test_transposed_and_reordered_tables_give_the_same_p() -> None:
    table = np.array([[60, 55], [20, 25], [8, 3], [2, 6], [1, 0], [0, 2]])
    p = fisher_freeman_halton(table)
    assert fisher_freeman_halton(table.T) == pytest.approx(p, rel=1e-12)
    assert fisher_freeman_halton(table[::-1]) == pytest.approx(p, rel=1e-12)
    assert fisher_freeman_halton(table[:, ::-1]) == pytest.approx(p, rel=1e-12)


def test_empty_rows_and_single_rows() -> None:
    assert fisher_freeman_halton([[3, 4, 0], [0, 0, 0]]) == 1.0  # one row left
    with_empty = fisher_freeman_halton([[1, 6, 2], [0, 0, 0], [4, 1, 9]])
    assert with_empty == pytest.approx(fisher_freeman_halton([[1, 6, 2], [4, 1, 9]]))
    with pytest.raises(ValueError):
        fisher_freeman_halton([[1, -1], [2, 3]])


def test_a_table_too_large_for_the_bound_is_none_and_the_report_says_so() -> None:
    table = [[200, 190, 210], [50, 60, 40], [6, 2, 4], [1, 3, 0], [0, 1, 2], [2, 0, 1]]
    assert fisher_freeman_halton(table) is None
    res = chi_square(table)
    assert res.exact_too_large and res.fisher_p is None
    comp = compare_categorical(table)
    assert comp.test == "pearson_chi_square" and comp.p == res.p
    assert "too large to compute" in comp.reason_for_test


def test_a_table_whose_nodes_would_not_fit_64_bits_is_none() -> None:
    huge = np.full((4, 4), 30_000) + np.eye(4, dtype=int)  # margins ~120,000 both ways
    assert fisher_freeman_halton(huge, max_work=10**18) is None


def test_the_bound_is_what_stops_it() -> None:
    """The same table, a budget too small for it: None; the default: R's p. A 4×4 table
    of 175 patients takes more than the default (54 million node-split pairs)."""
    table = [[20, 18, 25], [22, 19, 17], [15, 21, 20], [4, 1, 3]]
    assert fisher_freeman_halton(table, max_work=1_000) is None
    assert fisher_freeman_halton(table) == pytest.approx(0.6181813082, abs=1e-9)  # R
    wide = [[30, 25, 28, 31], [12, 15, 10, 9], [4, 1, 3, 2], [1, 3, 0, 1]]
    assert fisher_freeman_halton(wide) is None
    assert fisher_freeman_halton(wide, max_work=60_000_000) == pytest.approx(
        0.614737481682912, rel=1e-9)  # R: fisher.test(m, workspace = 2e8)


def test_a_sparse_larger_table_is_compared_with_the_exact_test() -> None:
    table = [[99, 96], [1, 1], [0, 1], [0, 2]]  # the seed paper's complications (Table 5)
    comp = compare_categorical(table)
    assert comp.test == "fisher_freeman_halton"
    assert comp.p == pytest.approx(enumerated_p(np.array(table)), rel=1e-9)
    assert comp.p != pytest.approx(comp.result.p)  # not the χ² p (0.385 in the paper)
    assert comp.reason_for_test.startswith("4×2 table and 6 cells")
