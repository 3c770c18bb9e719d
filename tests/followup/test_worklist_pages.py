"""Walking the worklist page by page gives exactly the whole list, in its order, for the
default order and for every sort, both directions; a forged cursor is refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from clinic.db import get_engine
from clinic.demo.bulk import bulk_seed
from clinic.exceptions import ValidationError
from clinic.followup.worklist import SORT_KEYS, WorklistFilter, worklist, worklist_page
from clinic.models import Assessment
from clinic.web.filters import clinic_today


def _walk(session, f, **sort) -> list[int]:
    ids, cursor = [], None
    for _ in range(200):
        page = worklist_page(session, f, cursor=cursor, limit=7, **sort)
        ids += [r.assessment_id for r in page.rows]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor
    raise AssertionError("the pages never ended")


def _a_last_day(session) -> date:
    """The day the windows of most pending visits close on (their first call group)."""
    return session.exec(select(Assessment.window_close).where(
        Assessment.state == "pending", Assessment.window_close >= clinic_today())
        .group_by(Assessment.window_close)
        .order_by(func.count().desc(), Assessment.window_close)).first()


@pytest.mark.parametrize("sort", ["group", *SORT_KEYS])
def test_the_pages_add_up_to_the_list(app, sort):
    with app.app_context(), Session(get_engine(app)) as session:
        bulk_seed(session, 120, code="PAGES")
        session.commit()
        last_day = _a_last_day(session)
        for day in (clinic_today(), clinic_today() - timedelta(days=40), last_day):
            f = WorklistFilter(today=day)
            for descending in (False, True):
                whole = [r.assessment_id for r in worklist(session, f, sort=sort,
                                                           descending=descending)]
                assert len(whole) > 14  # three pages at least
                assert _walk(session, f, sort=sort, descending=descending) == whole
            counts = worklist_page(session, f).counts
            assert sum(counts.values()) == len(whole)
            by_group = [r.group for r in worklist(session, f)]
            assert counts == {g: by_group.count(g) for g in counts}
            assert day != last_day or 0 < counts["last_day"] < len(whole)


def test_a_forged_cursor_is_refused(app):
    with app.app_context(), Session(get_engine(app)) as session:
        for cursor in ("nonsense", "W10", "WyJ4Il0", "eyJhIjoxfQ"):
            with pytest.raises(ValidationError):
                worklist_page(session, WorklistFilter(today=clinic_today()), cursor=cursor)
