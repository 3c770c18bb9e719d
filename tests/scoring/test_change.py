from decimal import Decimal

import pytest

from clinic.scoring.change import change_from_baseline
from clinic.scoring.exceptions import ScoreError


@pytest.mark.parametrize(
    ("before", "after", "absolute", "percent"),
    [
        (6, 3, -3, -50.0),
        (32, 24, -8, -25.0),
        (4, 6, 2, 50.0),
        (5, 5, 0, 0.0),
        (0.3, 0.1, -0.2, -200 / 3),
        (Decimal("7.5"), 6, -1.5, -20.0),
        (30, 24.5, -5.5, -5.5 / 30 * 100),
    ],
)
def test_change(before, after, absolute, percent):
    result = change_from_baseline(before, after)
    assert result.absolute == absolute
    assert result.percent == pytest.approx(percent, abs=0, rel=1e-15)
    assert result.reason is None


def test_decimal_arithmetic_is_exact():
    # In floats 0.3 - 0.1 == 0.19999999999999998.
    assert change_from_baseline(0.3, 0.1).absolute == -0.2
    assert change_from_baseline(0.1, 0.3).absolute == 0.2


def test_zero_baseline_has_no_percent():
    result = change_from_baseline(0, 4)
    assert result.absolute == 4
    assert result.percent is None
    assert "baseline is 0" in result.reason


@pytest.mark.parametrize(
    ("before", "after", "reason"),
    [
        (None, 3, "before value missing"),
        (3, None, "after value missing"),
        (None, None, "before and after value missing"),
    ],
)
def test_missing_values(before, after, reason):
    result = change_from_baseline(before, after)
    assert result.absolute is None and result.percent is None
    assert result.reason == reason


@pytest.mark.parametrize(
    ("before", "after", "field"),
    [
        (True, 3, "odi.before"),
        (3, "4", "odi.after"),
        (float("nan"), 1, "odi.before"),
    ],
)
def test_bad_input_names_field(before, after, field):
    with pytest.raises(ScoreError) as info:
        change_from_baseline(before, after, field="odi")
    assert info.value.field == field
