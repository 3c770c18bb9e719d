"""Timepoint labels that name a time ("3 months", "Week 2") against their offset (pure).

A label is what nurses, the report and the paper sheets show; the offset is what the
schedule uses. An amendment that moves "3 months" to day 120 leaves the label saying
what the visit no longer is: the builder says so after saving (not refused: a protocol
may mean "3 months" loosely)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

DAYS_PER = {"day": 1.0, "week": 7.0, "month": 30.44, "year": 365.25}
_UNIT = r"(day|week|month|year)s?"
_NUMBER_FIRST = re.compile(rf"\b(\d{{1,3}})[\s-]*{_UNIT}\b", re.IGNORECASE)
_UNIT_FIRST = re.compile(rf"\b{_UNIT}[\s-]*(\d{{1,3}})\b", re.IGNORECASE)


def days_named(label: str) -> float | None:
    """The days a label names ('3 months' -> 91.3; 'Week 2' -> 14), or None."""
    found = _NUMBER_FIRST.search(label)
    if found:
        return int(found.group(1)) * DAYS_PER[found.group(2).lower()]
    found = _UNIT_FIRST.search(label)
    if found:
        return int(found.group(2)) * DAYS_PER[found.group(1).lower()]
    return None


def label_mismatches(timepoints: Iterable[Any]) -> list[str]:
    """One sentence per timepoint whose label names a time its offset is far from: more
    than a fifth of it, and more than 3 days."""
    out = []
    for tp in timepoints:
        named = days_named(tp.label)
        if named is None or tp.offset_days <= 0:
            continue
        if abs(tp.offset_days - named) > max(3.0, 0.2 * named):
            out.append(f"{tp.label!r} is scheduled on day {tp.offset_days}, while its label "
                       f"names about day {round(named)}: check the label or the offset.")
    return out
