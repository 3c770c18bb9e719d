"""Reading submitted form values: blanks become None, numbers become numbers.

Text that is not a number is passed on unchanged, so the service refuses it with a
message naming the field (nothing is guessed here).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.datastructures import MultiDict

from clinic.catalog import DATE_MAX, DATE_MIN, INT_MAX

MAX_NUMBER_TEXT = 40  # longer text is not a number anyone typed
OUT_OF_CALENDAR = f"Enter a date from {DATE_MIN:%Y} to {DATE_MAX:%Y}."


def blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def number(value: str | None) -> int | float | str | None:
    """"6" -> 6, "6.5" and "6,5" -> 6.5, "" -> None, "six" -> "six" (refused downstream).

    Only plain decimals written with the digits 0-9 are numbers: Python's own syntax
    ("1_0", "1e1", "inf", full-width or other scripts' digits) stays text. So do "1,000"
    and "1.200": a thousands separator or a decimal mark (the form takes both marks), it
    cannot be told ("1,000" was read as 1, "1.200" as 1.2 where a German export means
    twelve hundred); "0.125" or "0,125" can only be a decimal.
    """
    text = blank_to_none(value)
    if text is None:
        return None
    if len(text) <= MAX_NUMBER_TEXT and _INTEGER.fullmatch(text):
        return int(text)
    return _decimal(text)


def _decimal(text: str) -> float | str:
    """A plain decimal as a float; any other text, or one past the float's range, as
    itself. A number longer than anyone types (300 digits pasted in a VAS box) is read
    so too, as a float, so that the field says the range it takes ("Enter a value from
    0 to 10") rather than that it is no number (never ``int()`` for it: its time grows
    with the square of the length)."""
    if not _DECIMAL.fullmatch(text) or _THOUSANDS.fullmatch(text):
        return text
    parsed = float(text.replace(",", "."))
    return parsed if math.isfinite(parsed) else text


_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
_THOUSANDS = re.compile(r"[+-]?[1-9][0-9]{0,2}(?:[.,][0-9]{3})+")


def not_a_number(text: str) -> str:
    """Why a typed value is not read as a number, in words."""
    if _THOUSANDS.fullmatch(text.strip()):
        return (f"{text.strip()} could be read two ways: write the number without a "
                "thousands separator (1500 for one thousand five hundred, 1.5 or 1,5 for "
                "one and a half).")
    return "Enter a number (digits, with a point or comma for decimals)."


def strict_number(value: str | None, field: str, errors: dict[str, str]) -> float | None:
    parsed = number(value)
    if isinstance(parsed, str):
        errors[field] = not_a_number(parsed)
        return None
    return None if parsed is None else float(parsed)


def strict_int(value: str | None, field: str, errors: dict[str, str]) -> int | None:
    parsed = number(value)
    if isinstance(parsed, str | float):
        errors[field] = "Enter a whole number."
        return None
    if parsed is not None and abs(parsed) > INT_MAX:
        errors[field] = "That number is far too large."
        return None
    return parsed


def form_int(value: str | None) -> int | None:
    """A whole number that fits an INTEGER column (ids, versions), else None."""
    parsed = number(value)
    return parsed if isinstance(parsed, int) and abs(parsed) <= INT_MAX else None


def tri_state(value: str | None, field: str | None = None,
              errors: dict[str, str] | None = None) -> bool | None:
    """"yes" / "no" / "" from a select -> True / False / None; anything else is refused
    in ``errors`` (it used to clear the recorded value)."""
    text = (value or "").strip()
    if text not in ("yes", "no", "") and errors is not None and field is not None:
        errors[field] = "Choose yes or no (or leave it blank)."
    return {"yes": True, "no": False}.get(text)


def local_datetime(value: str | None, timezone: str, field: str,
                   errors: dict[str, str]) -> datetime | None:
    """A datetime-local input read in the clinic's time zone."""
    text = blank_to_none(value)
    if text is None:
        errors[field] = "Enter the date and time."
        return None
    try:
        value = datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(timezone))
    except ValueError:
        errors[field] = "Enter a date and time as YYYY-MM-DD HH:MM."
        return None
    if not DATE_MIN <= value.date() <= DATE_MAX:
        errors[field] = OUT_OF_CALENDAR
        return None
    return value


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def a_date(value: str | None, field: str, errors: dict[str, str],
           required: bool = True) -> date | None:
    text = blank_to_none(value)
    if text is None:
        if required:
            errors[field] = "Enter a date."
        return None
    if not _ISO_DAY.fullmatch(text):  # Python also reads "20261105" and "2026-W45-4"
        errors[field] = "Enter a date as YYYY-MM-DD."
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:  # the shape is right: the day is not in the calendar
        errors[field] = f"{text} is no day of the calendar (check the day and the month)."
        return None
    if not DATE_MIN <= value <= DATE_MAX:
        errors[field] = OUT_OF_CALENDAR
        return None
    return value


def rows(form: MultiDict[str, str], prefix: str, names: tuple[str, ...],
         count: int) -> list[tuple[int, dict[str, Any]]]:
    """Repeated rows ``prefix-<i>-<name>``; rows left entirely blank are skipped."""
    found = []
    for i in range(count):
        values = {n: blank_to_none(form.get(f"{prefix}-{i}-{n}")) for n in names}
        if any(v is not None for v in values.values()):
            found.append((i, values))
    return found
