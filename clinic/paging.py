"""Keyset pagination: opaque cursors and one page of rows (no Flask, no database).

A cursor is the sort key of the last row shown, as URL-safe base64 of a JSON list. It
carries no secret: changing it only moves where the next page starts, and every query
that reads it still applies the user's site restriction. A cursor that does not decode
is refused with a clear message, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from clinic.exceptions import ValidationError

T = TypeVar("T")
INT_LIMIT = 2**31  # INTEGER columns: every key fits in 32 bits
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    next_cursor: str | None  # None: this is the last page
    total: int | None = None  # rows matching the filters (all pages), when counted


def encode_cursor(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, types: Sequence[type]) -> tuple[Any, ...] | None:
    """The sort key in ``cursor`` with each part of the given type, or None for no cursor."""
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(parts, list) or len(parts) != len(types):
            raise ValueError
        if any(not isinstance(p, t) or isinstance(p, bool) for p, t in zip(parts, types,
                                                                            strict=True)):
            raise ValueError
        if any(isinstance(p, int) and not -INT_LIMIT <= p < INT_LIMIT for p in parts):
            raise ValueError  # no row key is that large (and the database would refuse it)
        return tuple(parts)
    except (ValueError, UnicodeError, binascii.Error, RecursionError):
        raise ValidationError({"cursor": "This page link is not valid: start again from "
                                         "the first page."}) from None


def page_limit(value: Any, default: int = DEFAULT_LIMIT) -> int:
    """A page size from a query argument: 1–500, default 50; anything else is refused."""
    if value is None or value == "":
        return default
    try:
        limit = int(value)
    except (TypeError, ValueError):
        limit = 0
    if not 1 <= limit <= MAX_LIMIT or str(value).strip() != str(limit):
        raise ValidationError({"limit": f"Give a whole number from 1 to {MAX_LIMIT}."})
    return limit


def cut(rows: list[T], limit: int, key: Any) -> tuple[list[T], str | None]:
    """Rows fetched with ``limit + 1``: the page and the cursor of its last row when more
    follow (``key(row)`` is the row's sort key)."""
    if len(rows) <= limit:
        return rows, None
    shown = rows[:limit]
    return shown, encode_cursor(key(shown[-1]))
