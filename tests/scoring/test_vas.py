from decimal import Decimal

import pytest

from clinic.scoring.exceptions import ScoreError
from clinic.scoring.vas import validate_nrs, validate_pain_score, validate_vas


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (10, 10),
        (5, 5),
        (6.5, 6.5),
        (0.1, 0.1),
        (9.9, 9.9),
        (Decimal("7.5"), 7.5),
        (6.0, 6),
        (Decimal("6.50"), 6.5),
        (10.0, 10),
    ],
)
def test_accepts_integers_and_one_decimal(value, expected):
    result = validate_vas(value)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "Enter a value from 0 to 10 (got -1)."),
        (-0.1, "from 0 to 10"),
        (10.1, "from 0 to 10"),
        (11, "from 0 to 10 (got 11)"),
        (6.25, "decimal"),
        (Decimal("6.05"), "decimal"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (True, "number"),
        (False, "number"),
        ("5", "number"),
        (None, "number"),
    ],
)
def test_rejects_with_field_named(value, message):
    with pytest.raises(ScoreError) as info:
        validate_vas(value)
    assert info.value.field == "vas"
    assert message in str(info.value)
    assert str(info.value).startswith("vas: ")


def test_nrs_names_its_own_field():
    with pytest.raises(ScoreError) as info:
        validate_nrs(12)
    assert info.value.field == "nrs"


def test_custom_field_name_is_reported():
    with pytest.raises(ScoreError, match=r"^vas_1_week: "):
        validate_pain_score(-2, field="vas_1_week")


def test_score_error_is_a_value_error():
    assert issubclass(ScoreError, ValueError)
