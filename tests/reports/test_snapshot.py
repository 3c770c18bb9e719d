"""The report reads the database as one moment found it, on both engines: a follow-up
saved while the report reads is wholly in it or wholly out of it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, select, text, update
from sqlmodel import Session

from clinic import create_app
from clinic.db import get_engine
from clinic.demo.bulk import bulk_seed
from clinic.models import Assessment, Score
from clinic.reports import data as report_data
from clinic.reports.data import load_study_data, no_cyclic_gc
from clinic.reports.filters import filters_from_mapping
from clinic.reports.snapshot import SESSION_KEY, one_snapshot
from clinic.studies.setup import find_study

DAY = date(2026, 6, 1)
SAVED = datetime(2026, 6, 1, 9, tzinfo=UTC)


def _load(session: Session):  # type: ignore[no-untyped-def]
    """The BENCH study's report data, as of DAY."""
    filters = filters_from_mapping({"as_of": DAY.isoformat()}, DAY)
    with no_cyclic_gc():
        return load_study_data(session, find_study(session, "BENCH"), filters, "UTC")


def _save_between_reads(app, monkeypatch) -> int:  # type: ignore[no-untyped-def]
    """Load the study's data while another connection completes a pending visit (its
    state and a score, committed) right after the report read the visits; returns the
    visit's id."""
    engine = get_engine(app)
    with Session(engine) as setup:
        bulk_seed(setup, 30, seed=3, today=DAY)
        setup.commit()
        visit = setup.scalars(select(Assessment.id).where(Assessment.state == "pending")
                           .order_by(Assessment.id)).first()
    frame = report_data._frame

    def save_after_the_visits(session, stmt):  # type: ignore[no-untyped-def]
        out = frame(session, stmt)
        if "timepoint" in out.columns and "assessment_id" in out.columns:
            with engine.begin() as other:
                other.execute(update(Assessment).where(Assessment.id == visit)
                              .values(state="completed", completed_at=SAVED, mode="phone",
                                      visit_on=DAY))
                other.execute(insert(Score).values(
                    assessment_id=visit, instrument="vas", value=7.0, mode="phone",
                    collected_at=SAVED))
        return out

    monkeypatch.setattr(report_data, "_frame", save_after_the_visits)
    return visit  # type: ignore[return-value]


def test_a_save_committed_between_two_reads_is_not_half_in_the_report(app, monkeypatch):
    visit = _save_between_reads(app, monkeypatch)
    with Session(get_engine(app)) as session:
        before = session.scalars(select(Score.id)).all()
        session.rollback()  # the report's session, as a job's: nothing read or written yet
        data = _load(session)
    assert len(data.scores) == len(before)  # the score saved meanwhile is not there …
    with Session(get_engine(app)) as session:  # … although it was committed
        assert session.get(Assessment, visit).state == "completed"


def test_postgresql_reads_apart_only_without_writes_of_its_own(app, engine_kind):
    if engine_kind != "postgresql":
        pytest.skip("SQLite's reads: clinic.reports.arrow (one read transaction)")
    with Session(get_engine(app)) as session:
        with one_snapshot(session):
            reads = session.info[SESSION_KEY]
            level = reads.execute(text("SHOW transaction_isolation")).scalar()
            read_only = reads.execute(text("SHOW transaction_read_only")).scalar()
        assert (level, read_only) == ("repeatable read", "on")
        assert SESSION_KEY not in session.info
        session.execute(text("CREATE TEMPORARY TABLE written (x int)"))  # a write
        with one_snapshot(session):
            assert SESSION_KEY not in session.info  # its reads would not see it
        session.rollback()


def test_a_session_with_its_own_writes_reads_them(app):
    with Session(get_engine(app)) as session:
        bulk_seed(session, 30, seed=3, today=DAY)
        session.commit()
        scores = len(session.scalars(select(Score.id)).all())
        visit = session.scalars(select(Assessment.id).where(Assessment.state == "pending")
                                .order_by(Assessment.id)).first()
        session.execute(update(Assessment).where(Assessment.id == visit).values(
            state="completed", completed_at=SAVED, mode="phone", visit_on=DAY))
        session.execute(insert(Score).values(assessment_id=visit, instrument="vas", value=7.0,
                                             mode="phone", collected_at=SAVED))
        data = _load(session)
        assert len(data.scores) == scores + 1  # written, not committed: still in the report
        session.rollback()


def test_sqlite_ends_the_read_transaction_it_began(app, engine_kind):
    if engine_kind != "sqlite":
        pytest.skip("SQLite only")
    with Session(get_engine(app)) as session:
        bulk_seed(session, 10, seed=3, today=DAY)
        session.commit()
        _load(session)
        assert not session.connection().connection.dbapi_connection.in_transaction


def test_a_pool_with_no_connection_to_spare_reads_on_the_sessions_own(app, engine_kind,
                                                                       test_database, tmp_path):
    if engine_kind != "postgresql":
        pytest.skip("PostgreSQL's reads apart")
    with Session(get_engine(app)) as setup:
        bulk_seed(setup, 10, seed=3, today=DAY)
        setup.commit()
    url = get_engine(app).url.render_as_string(hide_password=False)
    small = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "CHECK_SCHEMA": False,
                        "DB_POOL_SIZE": 1, "DB_MAX_OVERFLOW": 0})
    try:
        with small.app_context(), Session(get_engine(small)) as session:
            with one_snapshot(session):
                assert SESSION_KEY not in session.info  # it would wait for itself
            assert len(_load(session).patients) == 10
    finally:
        get_engine(small).dispose()
