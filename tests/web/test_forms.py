"""Reading typed values: only plain decimals are numbers; a select's unknown answer is
refused (found by fuzzing: "1,000" mg was stored as 1, "1_0" as 10, "maybe" cleared a
recorded yes)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic.web.forms import a_date, not_a_number, number, strict_number, tri_state


@pytest.mark.parametrize(("typed", "read"), [
    ("6", 6), ("-3", -3), ("+2", 2), ("6.5", 6.5), ("6,5", 6.5), ("0,25", 0.25),
    (".5", 0.5), ("1,2345", 1.2345), ("12.", 12.0), (" 7 ", 7), ("", None), (None, None),
    ("0.125", 0.125), ("0,125", 0.125), ("1234.5", 1234.5), ("12.3456", 12.3456)])
def test_plain_decimals_are_numbers(typed, read):
    assert number(typed) == read and type(number(typed)) is type(read)


@pytest.mark.parametrize("typed", ["1,000", "12,345", "1,000,000", "1.200", "12.345",
                                   "1.000.000", "-1.500", "1_0", "1e1", "5e-400",
                                   "inf", "nan", "１０", "٣", "1.000,5", "1,000.5", "0x10",
                                   "six", "1 000", "--1", "1.2.3"])
def test_anything_else_stays_text(typed):
    assert number(typed) == typed.strip()


def test_a_thousands_separator_is_explained():
    """Found trying the screens as a new user would: "1.200" was stored as pregabalin
    1.2 mg/day, where a German keyboard writes twelve hundred so; "1,000" was refused."""
    errors: dict[str, str] = {}
    assert strict_number("1,000", "dose", errors) is None
    assert "without a thousands separator" in errors["dose"]
    assert strict_number("1.200", "dap", errors) is None
    assert errors["dap"].startswith("1.200 could be read two ways")
    assert "digits" in not_a_number("1e1")


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda f: round(f, 3)))
def test_what_a_number_input_sends_is_read_back(value):
    for typed in (repr(value), repr(value).replace(".", ",")):
        ambiguous = re.fullmatch(r"-?[1-9][0-9]{0,2}[.,][0-9]{3}", typed)  # 123.456: refused
        assert number(typed) == (typed if ambiguous else value)


def test_a_select_answers_yes_no_or_blank_only():
    errors: dict[str, str] = {}
    assert [tri_state(v, "f", errors) for v in ("yes", "no", "", None)] == [True, False,
                                                                          None, None]
    assert errors == {}
    assert tri_state("maybe", "f", errors) is None and "yes or no" in errors["f"]


@pytest.mark.parametrize("typed", ["20261105", "2026-W45-4", "2026-11-05T10:00", "２０２６-11-05"])
def test_a_date_is_written_as_the_form_says(typed):
    """Found trying the screens as a new user would: Python's own reader took
    '20261105' for a date, while the form asks YYYY-MM-DD."""
    errors: dict[str, str] = {}
    assert a_date(typed, "visit_on", errors) is None
    assert errors == {"visit_on": "Enter a date as YYYY-MM-DD."}
    assert str(a_date("2026-11-05", "visit_on", {})) == "2026-11-05"


@pytest.mark.parametrize("typed", ["2026-02-29", "2026-13-01", "2026-04-31", "2026-00-10"])
def test_a_date_in_the_right_shape_but_not_in_the_calendar_says_so(typed):
    """Found testing as a new user would: 2026-02-29 was told to be written as
    YYYY-MM-DD, which it was."""
    errors: dict[str, str] = {}
    assert a_date(typed, "visit_on", errors) is None
    assert errors == {"visit_on": f"{typed} is no day of the calendar (check the day and "
                                  "the month)."}
    assert a_date("2028-02-29", "visit_on", {}) is not None, "a leap day is one"


def test_a_number_longer_than_anyone_types_is_still_a_number():
    """Found trying the screens as a new user would: 300 digits pasted in the VAS box
    were refused as "Enter a number", where the field takes 0 to 10."""
    assert number("1" * 300) == float("1" * 300)
    assert number("0" * 50 + "5") == 5.0
    assert number("1" * 400) == "1" * 400  # past the float's range: text
    assert number("1" * 50 + "x") == "1" * 50 + "x"
    assert number("1,000" * 20) == "1,000" * 20


def test_a_vas_of_300_digits_says_the_range(client, clinic, db):
    from tests.web.helpers import login

    login(client, clinic.users["nurse"])
    response = client.post(f"/followup/{clinic.due.id}", data={
        "mode": "phone", "version": str(clinic.due.version), "vas": "9" * 300})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = page[page.index('id="vas-error"'):][:300]
    assert "from 0 to 10" in error and "Enter a number" not in error
