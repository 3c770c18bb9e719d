"""The derived follow-up status as a SQL expression.

It states in SQL the one rule of ``clinic.scheduling.windows.status_on`` so lists and
counts can be filtered in the database; a test checks both agree on every boundary day.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Case, and_, case, or_

from clinic.models import Assessment


def status_case(today: date, columns: Any = None) -> Case[str]:
    """The rule over ``assessment``, or over any table with its columns ``state``,
    ``window_open``, ``target_date`` and ``window_close`` (the visit tallies)."""
    c = Assessment.__table__.c if columns is None else columns  # type: ignore[attr-defined]
    return _rule(today, c.state == "completed", c)


def status_case_on(day: date) -> Case[str]:
    """The status a visit had on a past ``day`` (a report's data cut-off): a visit
    recorded as done on a later day is judged by its window on that day, as if not
    recorded yet. (A visit marked not done keeps that: the day it was marked is in the
    audit trail only.)"""
    c = Assessment.__table__.c  # type: ignore[attr-defined]
    done_by_then = and_(c.state == "completed", or_(c.visit_on.is_(None), c.visit_on <= day))
    return _rule(day, done_by_then, c)


def _rule(today: date, completed: Any, c: Any) -> Case[str]:
    return case(
        (completed, "completed"),
        (c.state == "not_done", "not_done"),
        (c.window_open > today, "upcoming"),
        (c.target_date >= today, "due"),
        (c.window_close >= today, "overdue"),
        else_="missed",
    )
