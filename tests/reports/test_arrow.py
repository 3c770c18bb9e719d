"""SQLite's Arrow reader gives the frame the cursor reader gives, or steps aside."""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    insert,
    literal,
    select,
    text,
)
from sqlmodel import Session

from clinic.db import get_engine
from clinic.demo.bulk import bulk_seed
from clinic.models.base import UTCDateTime
from clinic.reports import arrow
from clinic.reports.arrow import ArrowReads, arrow_frame, arrow_reads, prefetch
from clinic.reports.data import cursor_frame, load_study_data, no_cyclic_gc
from clinic.reports.filters import filters_from_mapping
from clinic.studies.setup import find_study

TEXTS = ["plain", "", "tab\there", "new\nline", "back\\slash", "NULL", "nan", "None",
         "ünïcødé ✓", "quote \" and '", "12", "2.5"]
FLOATS = [0.1, 0.1 + 0.2, 1 / 3, 2.5, 40.0, 1e-300, 1.7976931348623157e308, -0.5, 100.0]
CELLS = Table("arrow_cells", MetaData(),
              Column("id", Integer, primary_key=True), Column("maybe", Text),
              Column("text", String), Column("number", Float), Column("day", Date),
              Column("sometimes", Integer), Column("flag", Boolean),
              Column("maybe_flag", Boolean), Column("at", UTCDateTime))
DAY = date(2026, 6, 1)


@pytest.fixture
def sqlite_app(app, engine_kind):  # type: ignore[no-untyped-def]
    if engine_kind != "sqlite":
        pytest.skip("the Arrow reader is SQLite's; PostgreSQL copies (test_copy.py)")
    CELLS.create(get_engine(app))
    with get_engine(app).begin() as connection:
        connection.execute(insert(CELLS), [_row(i) for i in range(len(TEXTS))])
    return app


def _row(i: int) -> dict[str, object]:
    return {"id": i, "maybe": TEXTS[i] if i % 4 else None, "text": TEXTS[i],
            "number": FLOATS[i % len(FLOATS)], "day": date(2026, 1, 1 + i) if i % 3 else None,
            "sometimes": None if i == 2 else i * 10, "flag": i % 2 == 0,
            "maybe_flag": None if i == 5 else i % 3 == 0,
            "at": datetime(2026, 3, 29, i, 59, 58, 123456 * (i % 2), tzinfo=UTC)
            if i != 4 else None}


def _both(session: Session, stmt):  # type: ignore[no-untyped-def]
    with arrow_reads(session):
        read = arrow_frame(session, stmt)
    return read, cursor_frame(session.connection(), stmt)


def test_arrow_reads_every_cell_as_the_cursor_does(sqlite_app):
    status = case((CELLS.c.id < 3, literal("early")), else_=literal("late")).label("status")
    stmt = select(*CELLS.c, status).where(CELLS.c.id >= 0).order_by(CELLS.c.id)
    with Session(get_engine(sqlite_app)) as session:
        read, fetched = _both(session, stmt)
    assert read is not None
    pd.testing.assert_frame_equal(read, fetched)
    for name in read.columns:  # the same Python types, cell for cell
        assert [type(v) for v in read[name]] == [type(v) for v in fetched[name]], name
    assert list(read["text"]) == TEXTS and read["text"].dtype == object
    assert [v is None for v in read["maybe"]] == [i % 4 == 0 for i in range(len(TEXTS))]
    assert all(type(v) is date for v in read["day"] if v is not None)
    assert list(read["number"]) == [FLOATS[i % len(FLOATS)] for i in range(len(TEXTS))]
    assert read["sometimes"].dtype == "float64" and math.isnan(read["sometimes"][2])
    assert read["id"].dtype == "int64"
    assert read["flag"].dtype == bool and read["maybe_flag"][5] is None
    assert read["at"][0] == datetime(2026, 3, 29, 0, 59, 58, tzinfo=UTC)
    assert list(read["status"]) == ["early"] * 3 + ["late"] * (len(TEXTS) - 3)
    assert read["maybe"][1] is read["maybe"][9] or TEXTS[1] != TEXTS[9]  # shared objects


def test_parameters_are_bound_as_the_driver_binds_them(sqlite_app):
    stmt = select(CELLS.c.id).where(CELLS.c.day > date(2026, 1, 5),
                                    CELLS.c.at >= datetime(2026, 3, 29, 7, tzinfo=UTC))
    with Session(get_engine(sqlite_app)) as session:
        read, fetched = _both(session, stmt.order_by(CELLS.c.id))
    assert read is not None and list(read["id"]) == list(fetched["id"]) == [7, 8, 10, 11]


@pytest.mark.parametrize("stored", ["'seven'", "2.5"])
def test_a_number_column_holding_something_else_is_left_to_the_cursor(sqlite_app, stored):
    """SQLite keeps what it is given: text in an integer column comes back as text from
    the cursor; the Arrow reader does not guess at it."""
    with get_engine(sqlite_app).begin() as connection:
        connection.execute(text(f"UPDATE arrow_cells SET sometimes = {stored} WHERE id = 3"))
    with Session(get_engine(sqlite_app)) as session:
        read, fetched = _both(session, select(CELLS.c.id, CELLS.c.sometimes))
    assert read is None
    assert fetched["sometimes"].tolist()[3] in ("seven", 2.5)


def test_a_type_met_after_the_first_batch_is_left_to_the_cursor(sqlite_app, monkeypatch):
    monkeypatch.setattr(ArrowReads, "batch_rows", "2")  # rows 0 and 1 say: no text
    with get_engine(sqlite_app).begin() as connection:
        connection.execute(text("UPDATE arrow_cells SET maybe = NULL WHERE id < 4"))
    stmt = select(CELLS.c.maybe).order_by(CELLS.c.id)
    with Session(get_engine(sqlite_app)) as session:
        read, fetched = _both(session, stmt)
    assert read is None and fetched["maybe"].tolist()[5] == TEXTS[5]


def test_no_rows_and_expanding_lists_are_left_to_the_cursor(sqlite_app):
    with Session(get_engine(sqlite_app)) as session, arrow_reads(session):
        assert arrow_frame(session, select(CELLS.c.id).where(CELLS.c.id < 0)) is None
        assert arrow_frame(session, select(CELLS.c.id).where(CELLS.c.id.in_([1, 2]))) is None
        assert arrow_frame(session, select(CELLS.c.id)) is not None


def test_every_read_sees_one_snapshot(sqlite_app):
    """A save committed between two of the report's reads is in neither: the report's
    numbers come from one state of the database."""
    with Session(get_engine(sqlite_app)) as session, arrow_reads(session):
        before = arrow_frame(session, select(CELLS.c.id))
        with get_engine(sqlite_app).begin() as other:
            other.execute(insert(CELLS), [_row(0) | {"id": 99}])
        after = arrow_frame(session, select(CELLS.c.id))
    assert before is not None and after is not None and len(after) == len(before)


def test_a_session_with_its_own_writes_reads_through_its_own_connection(sqlite_app):
    with Session(get_engine(sqlite_app)) as session:
        session.execute(insert(CELLS), [_row(0) | {"id": 50}])  # written, not committed
        with arrow_reads(session):
            assert arrow.SESSION_KEY not in session.info
        session.rollback()
        with arrow_reads(session):
            assert arrow.SESSION_KEY in session.info
        assert arrow.SESSION_KEY not in session.info


def test_a_study_reads_the_same_through_arrow_and_the_cursor(app, engine_kind, monkeypatch):
    if engine_kind != "sqlite":
        pytest.skip("SQLite only")
    read: list[tuple[int, bool]] = []
    frame = ArrowReads.frame

    def counted(self, stmt):  # type: ignore[no-untyped-def]
        out = frame(self, stmt)
        read.append((self.process.pid, out is not None))
        return out

    monkeypatch.setattr(ArrowReads, "frame", counted)
    monkeypatch.setattr(arrow, "MIN_PATIENTS", 0)  # 80 patients: read by the process too
    with Session(get_engine(app)) as session:
        bulk_seed(session, 40, seed=5, today=DAY)  # another study's visits between its own:
        bulk_seed(session, 30, seed=6, today=DAY, code="OTHER")  # in the range read
        bulk_seed(session, 40, seed=7, today=DAY)
        session.commit()
        study = find_study(session, "BENCH")
        filters = filters_from_mapping({"as_of": DAY.isoformat()}, DAY)
        with no_cyclic_gc():
            columns = load_study_data(session, study, filters, "Europe/Berlin")
            monkeypatch.setattr("clinic.reports.data.arrow_reads",
                                lambda _session, _study=None: _nothing())
            rows = load_study_data(session, study, filters, "Europe/Berlin")
    assert sum(ok for _pid, ok in read) >= 7  # the large reads went through Arrow,
    assert len({pid for pid, ok in read if ok}) == 2  # in two reader processes
    for name in ("patients", "procedures", "targets", "assessments", "scores", "events",
                 "screening", "randomized"):
        pd.testing.assert_frame_equal(getattr(columns, name), getattr(rows, name))


def _nothing():  # type: ignore[no-untyped-def]
    from contextlib import nullcontext

    return nullcontext()


def test_the_app_keeps_its_database_after_the_reader_closes(sqlite_app):
    """The ADBC driver links its own SQLite. Run in the app's process, it took itself for
    the database's last connection when it closed, removed the WAL index the app's
    connections were using, and their next query failed ("disk I/O error"). The reader
    runs in a process of its own: the app's connections are never disturbed."""
    engine = get_engine(sqlite_app)
    path = engine.url.database
    with engine.connect() as other:
        other.execute(insert(CELLS), [_row(0) | {"id": 76}])  # in the WAL, not the file
        other.commit()
        for _ in range(3):
            with Session(engine) as reader, arrow_reads(reader):
                assert arrow_frame(reader, select(CELLS.c.id)) is not None
        assert Path(f"{path}-wal").exists()
        fresh = sqlite3.connect(path)  # a new connection: failed here ("disk I/O error")
        try:
            fresh.execute("INSERT INTO arrow_cells (id, text) VALUES (77, 'x')")
            fresh.commit()
            assert fresh.execute("SELECT count(*) FROM arrow_cells").fetchone()[0] == \
                len(TEXTS) + 2
        finally:
            fresh.close()
        assert len(other.execute(select(CELLS.c.id)).all()) == len(TEXTS) + 2
        assert other.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_a_reader_that_stops_leaves_the_reads_to_the_cursor(sqlite_app, caplog):
    with Session(get_engine(sqlite_app)) as session, arrow_reads(session):
        reads = session.info[arrow.SESSION_KEY]
        assert arrow_frame(session, select(CELLS.c.id)) is not None
        reads.process.kill()
        reads.process.wait()
        assert arrow_frame(session, select(CELLS.c.id)) is None
        assert reads.failed and "Arrow reader failed" in caplog.text


def test_a_small_study_is_read_through_the_cursor(app, engine_kind):
    if engine_kind != "sqlite":
        pytest.skip("SQLite only")
    with Session(get_engine(app)) as session:
        bulk_seed(session, 20, seed=5, today=DAY)
        session.commit()
        study = find_study(session, "BENCH")
        with arrow_reads(session, study.id):
            assert arrow.SESSION_KEY not in session.info  # 20 <= MIN_PATIENTS


def test_queries_sent_ahead_are_answered_in_any_order_and_may_go_unasked(sqlite_app):
    ids = select(CELLS.c.id).order_by(CELLS.c.id)
    texts = select(CELLS.c.text).order_by(CELLS.c.id)
    days = select(CELLS.c.day).order_by(CELLS.c.id)
    with Session(get_engine(sqlite_app)) as session, arrow_reads(session):
        prefetch(session, [ids, texts, days])  # days is never asked for
        reads = session.info[arrow.SESSION_KEY]
        assert len(reads.sent) == 3
        second = arrow_frame(session, texts)
        first = arrow_frame(session, ids)
        assert list(second["text"]) == TEXTS and list(first["id"]) == list(range(len(TEXTS)))
        assert len(reads.sent) == 1 and not reads.ready  # days: its rows still unread
    assert reads.process.returncode is not None  # the reader ended, unasked rows and all


def test_columns_of_null_only_read_as_the_cursor_reads_them(sqlite_app):
    """The reader sends a column holding only NULL as Arrow's null type (no buffer); the
    report process types it back as the driver did: every kind of column, cell for cell."""
    empty = CELLS.to_metadata(MetaData(), name="arrow_null_cells")
    empty.create(get_engine(sqlite_app))
    with get_engine(sqlite_app).begin() as connection:
        connection.execute(insert(empty), [{"id": i} for i in range(5)])
    with Session(get_engine(sqlite_app)) as session:
        read, fetched = _both(session, select(*empty.c).order_by(empty.c.id))
    assert read is not None
    pd.testing.assert_frame_equal(read, fetched)
    for name in read.columns:
        assert [type(v) for v in read[name]] == [type(v) for v in fetched[name]], name


def test_the_reader_sends_text_encoded_and_null_only_columns_empty():
    import pyarrow as pa

    from clinic.reports.arrow_reader import _compact

    table = pa.table({"id": [1, 2, 3], "state": ["done", None, "done"],
                      "never": pa.array([None, None, None], pa.int64()),
                      "sometimes": pa.array([None, 4, None], pa.int64())})
    sent = _compact(table)
    assert sent.column_names == table.column_names
    assert pa.types.is_dictionary(sent["state"].type)
    assert sent["state"].to_pylist() == ["done", None, "done"]
    assert sent["never"].type == pa.null() and sent["never"].nbytes == 0
    assert sent["id"].equals(table["id"]) and sent["sometimes"].equals(table["sometimes"])


def test_the_reader_ends_when_the_last_read_is_done(sqlite_app):
    with Session(get_engine(sqlite_app)) as session, arrow_reads(session):
        reads = session.info[arrow.SESSION_KEY]
        assert arrow_frame(session, select(CELLS.c.id)) is not None
        arrow.end_reads(session)
        assert reads.process.returncode is not None  # ended before arrow_reads closes
        assert arrow.SESSION_KEY not in session.info
        assert arrow_frame(session, select(CELLS.c.id)) is None  # the cursor's now
        assert not reads.failed


def _paired(session: Session) -> arrow.PairedReads:
    reads = arrow.PairedReads(session.connection(), get_engine().url.database)
    session.info[arrow.SESSION_KEY] = reads
    return reads


def test_two_readers_read_side_by_side_in_one_snapshot(sqlite_app):
    """A study's largest reads go to a second reader process, on the other core; a save
    committed after both took their snapshot is in neither reader's rows."""
    ids, texts = select(CELLS.c.id).order_by(CELLS.c.id), select(CELLS.c.text)
    with sqlite_app.app_context(), Session(get_engine()) as session:
        reads = _paired(session)
        try:
            prefetch(session, [ids])
            prefetch(session, [texts], beside=True)
            assert reads.second is not None, "nothing was committed: both read"
            assert reads.first.process.pid != reads.second.process.pid
            one, two = reads.first, reads.second
            assert len(one.sent) == 1 and len(two.sent) == 1
            with get_engine().begin() as other:
                other.execute(insert(CELLS), [_row(0) | {"id": 99}])
            first = arrow_frame(session, ids)
            assert one.process.stdin.closed  # its last answer taken: it was ended
            assert reads.first is two and reads.second is None and len(two.sent) == 1
            second = arrow_frame(session, texts)
            assert two.sent == []
        finally:
            arrow.end_reads(session)
    assert one.process.returncode is not None and two.process.returncode is not None
    assert first is not None and second is not None
    assert len(first) == len(second) == len(TEXTS)  # the save: in neither


def test_a_save_between_the_two_snapshots_leaves_every_read_to_one_reader(sqlite_app,
                                                                         monkeypatch):
    """A save committed after the first reader took its snapshot and before the second
    did: the two would read two states of the database, so the second is closed and the
    first reads everything (the save is in none of its rows)."""
    begin = ArrowReads.begin

    def save_then_begin(self):  # type: ignore[no-untyped-def]
        began = begin(self)
        if self is reads.first:  # a nurse's save, right after the first reader's snapshot
            with get_engine().begin() as other:
                other.execute(insert(CELLS), [_row(0) | {"id": 99}])
        return began

    monkeypatch.setattr(ArrowReads, "begin", save_then_begin)
    ids, texts = select(CELLS.c.id).order_by(CELLS.c.id), select(CELLS.c.text)
    with sqlite_app.app_context(), Session(get_engine()) as session:
        reads = _paired(session)
        try:
            second = reads.second
            prefetch(session, [ids])
            prefetch(session, [texts], beside=True)
            assert reads.second is None and second.process.returncode is not None
            assert len(reads.first.sent) == 2
            first, beside = arrow_frame(session, ids), arrow_frame(session, texts)
        finally:
            arrow.end_reads(session)
    assert first is not None and beside is not None
    assert len(first) == len(beside) == len(TEXTS)  # one snapshot: before the save
