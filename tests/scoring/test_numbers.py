"""How a refused number is named in its message: as written where it is short, else by
its size (found trying the screens as a new user would: 300 digits pasted in the VAS box
read "got 1E+300", and 0.000…01 "got 1e-301", a form the box itself refuses)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clinic.scoring._numbers import shown
from clinic.scoring.exceptions import ScoreError
from clinic.scoring.vas import validate_vas


@pytest.mark.parametrize(("value", "words"), [
    ("12.5", "12.5"), ("-3", "-3"), ("0.05", "0.05"), ("6.55", "6.55"),
    ("5.555555555555555", "5.555555555555555"),
    ("1E+300", "a number of 301 digits"), ("-1E+50", "a number of 51 digits"),
    ("100000000000000000000", "a number of 21 digits"),
    ("1E-301", "a number with 301 decimal places"),
    ("0.0000000000000000000000000000007", "a number with 31 decimal places"),
])
def test_a_number_is_named_as_written_or_by_its_size(value, words):
    assert shown(Decimal(value)) == words


def test_the_vas_names_a_pasted_number_by_its_size():
    with pytest.raises(ScoreError, match=r"from 0 to 10 \(got a number of 301 digits\)"):
        validate_vas(float("9" * 300))
    with pytest.raises(ScoreError, match=r"1 decimal place \(got a number with 301 decimal"):
        validate_vas(float("0." + "0" * 300 + "1"))
    with pytest.raises(ScoreError, match=r"\(got 6.55\)"):
        validate_vas(6.55)
