"""The derived follow-up status as a SQL expression.

It states in SQL the one rule of ``clinic.scheduling.windows.status_on`` so lists and
counts can be filtered in the database; a test checks both agree on every boundary day.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Case, case

from clinic.models import Assessment


def status_case(today: date, columns: Any = None) -> Case[str]:
    """The rule over ``assessment``, or over any table with its columns ``state``,
    ``window_open``, ``target_date`` and ``window_close`` (the visit tallies)."""
    c = Assessment.__table__.c if columns is None else columns  # type: ignore[attr-defined]
    return case(
        (c.state == "completed", "completed"),
        (c.state == "not_done", "not_done"),
        (c.window_open > today, "upcoming"),
        (c.target_date >= today, "due"),
        (c.window_close >= today, "overdue"),
        else_="missed",
    )
