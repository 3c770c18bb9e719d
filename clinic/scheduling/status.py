"""The derived follow-up status as a SQL expression.

It states in SQL the one rule of ``clinic.scheduling.windows.status_on`` so lists and
counts can be filtered in the database; a test checks both agree on every boundary day.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Case, case

from clinic.models import Assessment


def status_case(today: date) -> Case[str]:
    return case(
        (Assessment.state == "completed", "completed"),
        (Assessment.state == "not_done", "not_done"),
        (Assessment.window_open > today, "upcoming"),
        (Assessment.target_date >= today, "due"),
        (Assessment.window_close >= today, "overdue"),
        else_="missed",
    )
