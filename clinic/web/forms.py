"""Reading submitted form values: blanks become None, numbers become numbers.

Text that is not a number is passed on unchanged, so the service refuses it with a
message naming the field (nothing is guessed here).
"""

from __future__ import annotations

import math
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
    """"6" -> 6, "6.5" -> 6.5, "" -> None, "six" -> "six" (refused downstream).

    "inf", "nan" and "1e309" (which reads as infinity) stay text: only finite numbers
    are numbers here.
    """
    text = blank_to_none(value)
    if text is None or len(text) > MAX_NUMBER_TEXT:
        return text
    try:
        return int(text)
    except ValueError:
        pass
    try:
        parsed = float(text.replace(",", "."))
    except ValueError:
        return text
    return parsed if math.isfinite(parsed) else text


def strict_number(value: str | None, field: str, errors: dict[str, str]) -> float | None:
    parsed = number(value)
    if isinstance(parsed, str):
        errors[field] = "Enter a number."
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


def tri_state(value: str | None) -> bool | None:
    """"yes" / "no" / "" from a select -> True / False / None."""
    return {"yes": True, "no": False}.get((value or "").strip())


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


def a_date(value: str | None, field: str, errors: dict[str, str],
           required: bool = True) -> date | None:
    text = blank_to_none(value)
    if text is None:
        if required:
            errors[field] = "Enter a date."
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        errors[field] = "Enter a date as YYYY-MM-DD."
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
