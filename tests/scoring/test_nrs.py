from fractions import Fraction

import pytest

from clinic.scoring.exceptions import ScoreError
from clinic.scoring.nrs import NrsResponse, nrs_weighted_value, response_category


@pytest.mark.parametrize(
    ("before", "after", "value", "category"),
    [
        (8, 2, 0.75, NrsResponse.CURED),  # exactly 75 % -> cured
        (8, 0, 1.0, NrsResponse.CURED),
        (5.6, 1.4, 0.75, NrsResponse.CURED),  # naive floats give 0.7499999999999999
        (8, 2.1, 0.7375, NrsResponse.SIGNIFICANT_IMPROVEMENT),
        (4, 2, 0.5, NrsResponse.SIGNIFICANT_IMPROVEMENT),  # exactly 50 %
        (10, 5.1, 0.49, NrsResponse.IMPROVED),
        (4, 3, 0.25, NrsResponse.IMPROVED),  # exactly 25 %
        (4.8, 3.6, 0.25, NrsResponse.IMPROVED),  # naive floats give 0.24999999999999994
        (10, 7.6, 0.24, NrsResponse.NO_EFFECT),
        (7, 7, 0.0, NrsResponse.NO_EFFECT),
        (5, 7, -0.4, NrsResponse.NO_EFFECT),  # worse
    ],
)
def test_weighted_value_and_category(before, after, value, category):
    result = nrs_weighted_value(before, after)
    assert result.value == value
    assert result.category is category
    assert result.reason is None


def test_exact_value_and_percent():
    result = nrs_weighted_value(6, 2)
    assert result.value_exact == Fraction(2, 3)
    assert result.percent == pytest.approx(66.66666666666667)
    assert result.category is NrsResponse.SIGNIFICANT_IMPROVEMENT
    assert (result.before, result.after) == (6, 2)


def test_baseline_zero_is_not_computable():
    result = nrs_weighted_value(0, 0)
    assert result.value is None and result.category is None and result.percent is None
    assert "not computable" in result.reason


@pytest.mark.parametrize(
    ("before", "after", "field"),
    [(11, 2, "nrs.before"), (5, -1, "nrs.after"), (5, 2.25, "nrs.after"), (None, 2, "nrs.before")],
)
def test_bad_input_names_field(before, after, field):
    with pytest.raises(ScoreError) as info:
        nrs_weighted_value(before, after)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("weighted", "category"),
    [
        (Fraction(3, 4), NrsResponse.CURED),
        (0.7499999, NrsResponse.SIGNIFICANT_IMPROVEMENT),
        (0.5, NrsResponse.SIGNIFICANT_IMPROVEMENT),
        (0.4999999, NrsResponse.IMPROVED),
        (0.25, NrsResponse.IMPROVED),
        (0.2499999, NrsResponse.NO_EFFECT),
        (-1, NrsResponse.NO_EFFECT),
    ],
)
def test_category_boundaries(weighted, category):
    assert response_category(weighted) is category


def test_labels():
    assert [c.label for c in NrsResponse] == [
        "Cured",
        "Significant improvement",
        "Improved",
        "No effect",
    ]
