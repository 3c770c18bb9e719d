"""exact_values, input cleaning and tie-aware ranking."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from clinic.stats import exact_values
from clinic.stats._values import clean, is_constant, rank_with_ties


def test_float_noise_ties_after_exact_values() -> None:
    assert 0.1 + 0.2 != 0.3  # the problem
    assert exact_values([0.1 + 0.2])[0] == exact_values([0.3])[0]
    odi_from_score = 7 / 50 * 100
    assert odi_from_score != 14.0  # 14.000000000000002
    assert exact_values([odi_from_score])[0] == 14.0


def test_exact_values_keeps_real_differences_and_nan() -> None:
    out = exact_values([1.0, 1.000001, math.nan, -1e-9])
    assert out[0] != out[1]
    assert math.isnan(out[2])
    assert out[3] == 0.0 and math.copysign(1.0, out[3]) == 1.0


def test_clean_drops_and_counts_every_missing_marker() -> None:
    values, missing = clean([1, None, 2.5, math.nan, np.nan, pd.NA, 4])
    assert values.tolist() == [1.0, 2.5, 4.0]
    assert missing == 4


def test_clean_accepts_nullable_series() -> None:
    values, missing = clean(pd.Series([3, None, 5], dtype="Int64"))
    assert values.tolist() == [3.0, 5.0] and missing == 1


@pytest.mark.parametrize(
    "bad", [["3", 4], [True, 2], [1.0, math.inf], [[1, 2], [3, 4]], pd.Series(["a", "b"])]
)
def test_clean_rejects_non_numbers(bad: object) -> None:
    with pytest.raises(ValueError):
        clean(bad)


def test_rank_with_ties_matches_scipy_on_exact_values() -> None:
    x = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 0.1 + 0.2, 0.3])
    ranks, tie_sum, distinct = rank_with_ties(x)
    np.testing.assert_array_equal(ranks, stats.rankdata(exact_values(x)))
    # ties: 1 ×2, 3 ×2, 5 ×3, 0.3 ×2 → Σ(t³ − t) = 6 + 6 + 24 + 6
    assert tie_sum == 42.0
    assert distinct == 8  # 0.3, 1, 2, 3, 4, 5, 6, 9
    # raw floats would not tie 0.1 + 0.2 with 0.3
    assert not np.array_equal(stats.rankdata(x), ranks)


def test_is_constant_uses_exact_values() -> None:
    assert np.ptp([14.0, 7 / 50 * 100]) > 0 and is_constant(np.array([14.0, 7 / 50 * 100]))
    assert is_constant(np.array([7.0]))
    assert not is_constant(np.array([30.0, 30.001]))
