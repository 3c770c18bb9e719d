"""The last check before anything reaches the database: every text fits its column,
every float is finite, every integer fits its column, every date lies within
``catalog.DATE_MIN`` .. ``DATE_MAX``.

Services validate their input with messages of their own; this ``before_flush``
listener is the backstop for whatever a path forgot. A value that would make the
database refuse (PostgreSQL: over-long text, integer overflow) or that SQLite would
store silently (over-long text, infinity) becomes a ValidationError naming the field,
so the request answers 422 with nothing stored instead of 500.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, String, event, inspect
from sqlalchemy.orm import Session

from clinic.catalog import DATE_MAX, DATE_MIN, INT_MAX
from clinic.exceptions import ValidationError


def install_value_guard() -> None:
    if not event.contains(Session, "before_flush", _check_pending_values):
        event.listen(Session, "before_flush", _check_pending_values)


def _check_pending_values(session: Session, _context: Any, _instances: Any) -> None:
    errors: dict[str, str] = {}
    for obj in session.new:
        _check(obj, None, errors)
    for obj in session.dirty:
        _check(obj, _changed_keys(obj), errors)
    if errors:
        raise ValidationError(errors)


def check_rows(model: Any, rows: list[dict[str, Any]]) -> None:
    """The same check for rows a Core INSERT writes (the flush never sees them)."""
    types = {a.key: a.columns[0].type for a in inspect(model).column_attrs}
    errors: dict[str, str] = {}
    for row in rows:
        for key, value in row.items():
            problem = value_problem(types[key], value)
            if problem:
                errors.setdefault(key, problem)
    if errors:
        raise ValidationError(errors)


def _changed_keys(obj: Any) -> set[str]:
    state = inspect(obj)
    return {a.key for a in state.attrs if a.history.has_changes()}


def _check(obj: Any, keys: set[str] | None, errors: dict[str, str]) -> None:
    mapper = inspect(obj).mapper
    for attr in mapper.column_attrs:
        if keys is not None and attr.key not in keys:
            continue
        problem = value_problem(attr.columns[0].type, getattr(obj, attr.key))
        if problem:
            errors.setdefault(attr.key, problem)


def value_problem(column_type: Any, value: Any) -> str | None:
    """Why ``value`` cannot be stored in a column of ``column_type``, or None."""
    if value is None or isinstance(value, bool):
        return None
    kind = getattr(column_type, "impl", column_type)
    if isinstance(value, str) and isinstance(kind, String):
        length = getattr(column_type, "length", None)
        if length and len(value) > length:
            return f"Use at most {length} characters (got {len(value)})."
        if "\x00" in value:
            return "Remove the invisible NUL character."
    elif isinstance(value, float) and not math.isfinite(value):
        return "Enter a finite number."
    elif isinstance(value, int) and isinstance(kind, Integer) and abs(value) > INT_MAX:
        return "That number is far too large."
    elif isinstance(value, date) and not DATE_MIN <= _day(value) <= DATE_MAX:
        return f"Enter a date from {DATE_MIN:%Y} to {DATE_MAX:%Y}."
    return None


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value
