"""PostgreSQL's COPY reader gives the frame the cursor reader gives, cell for cell."""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, date, datetime

import pandas as pd
import psycopg
import pytest
from sqlalchemy import Boolean, Date, Float, Integer, String, Text, column, select, values
from sqlmodel import Session

from clinic.db import get_engine
from clinic.models.base import UTCDateTime
from clinic.reports.copy import CopyOut, _unescape, copied_frame
from clinic.reports.data import cursor_frame

TEXTS = ["plain", "", "tab\there", "new\nline", "carriage\rreturn", "back\\slash", "\\N",
         "\\\\N", "NULL", "NA", "nan", "None", "ünïcødé ✓", "quote \" and '", "end\\"]
FLOATS = [0.1, 0.1 + 0.2, 1 / 3, 2.5, 40.0, 1e-300, 1.7976931348623157e308, -0.5, 100.0]


def _rows() -> list[tuple[object, ...]]:
    rows = []
    for i, text in enumerate(TEXTS):
        rows.append((i, text if i % 4 else None, text, FLOATS[i % len(FLOATS)],
                     date(2026, 1, 1 + i) if i % 3 else None, None if i == 2 else i * 10,
                     i % 2 == 0, None if i == 5 else i % 3 == 0,
                     datetime(2026, 3, 29, i, 59, 58, 123456 * (i % 2), tzinfo=UTC)
                     if i != 4 else None))
    return rows


def _statement():  # type: ignore[no-untyped-def]
    table = values(column("id", Integer), column("maybe", Text), column("text", String),
                   column("number", Float), column("day", Date), column("sometimes", Integer),
                   column("flag", Boolean), column("maybe_flag", Boolean),
                   column("at", UTCDateTime), name="cells").data(_rows())
    return select(*table.c).order_by(table.c.id)


def test_copy_reads_every_cell_as_the_cursor_does(app, engine_kind):
    if engine_kind != "postgresql":
        pytest.skip("COPY is PostgreSQL's; SQLite always reads through the cursor")
    with Session(get_engine(app)) as session:
        connection = session.connection()
        copied = copied_frame(connection, _statement())
        fetched = cursor_frame(connection, _statement())
    assert copied is not None
    pd.testing.assert_frame_equal(copied, fetched)
    assert list(copied["text"]) == TEXTS
    assert [v is None for v in copied["maybe"]] == [i % 4 == 0 for i in range(len(TEXTS))]
    assert all(type(v) is date for v in copied["day"] if v is not None)
    assert [math.copysign(1, v) * abs(v) for v in copied["number"]] == [
        FLOATS[i % len(FLOATS)] for i in range(len(TEXTS))]  # every bit of each float
    assert copied["sometimes"].dtype == "float64" and math.isnan(copied["sometimes"][2])
    assert copied["id"].dtype == "int64"
    assert copied["flag"].dtype == bool and list(copied["flag"]) == [
        i % 2 == 0 for i in range(len(TEXTS))]
    assert copied["maybe_flag"][5] is None and copied["maybe_flag"][3] is True
    assert pd.isna(copied["at"][4])
    assert copied["at"][1] == datetime(2026, 3, 29, 1, 59, 58, 123456, tzinfo=UTC)
    assert copied["at"][1].utcoffset().total_seconds() == 0


def test_a_query_with_a_column_copy_cannot_type_is_left_to_the_cursor(app, engine_kind):
    if engine_kind != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    from decimal import Decimal

    from sqlalchemy import Numeric

    table = values(column("amount", Numeric), name="amounts").data([(Decimal("1.5"),)])
    with Session(get_engine(app)) as session:
        assert copied_frame(session.connection(), select(table.c.amount)) is None


def test_an_empty_result_is_left_to_the_cursor(app, engine_kind):
    if engine_kind != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    with Session(get_engine(app)) as session:
        assert copied_frame(session.connection(), _statement().where(False)) is None


@pytest.mark.parametrize(("written", "text"), [
    ("a\\tb", "a\tb"), ("a\\nb", "a\nb"), ("a\\\\b", "a\\b"), ("\\\\N", "\\N"),
    ("\\x41", "A"), ("\\101", "A"), ("\\b\\f\\r\\v", "\b\f\r\v"), ("a\\qb", "aqb")])
def test_the_escapes_of_copys_text_format_are_undone(written, text):
    assert _unescape(written) == text


def test_a_copy_that_fails_midway_raises_and_leaves_the_connection_usable(app, engine_kind):
    if engine_kind != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    import psycopg
    from sqlalchemy import literal, text

    table = values(column("id", Integer), name="ids").data([(i,) for i in range(10)])
    divide = literal(1).op("/", return_type=Integer)
    failing = select(table.c.id, divide(table.c.id - 3).label("q"))
    with Session(get_engine(app)) as session:
        with pytest.raises(psycopg.Error, match="division by zero"):
            copied_frame(session.connection(), failing)
        session.rollback()
        assert session.execute(text("SELECT 41 + 1")).scalar_one() == 42


@pytest.mark.parametrize("query", [
    "SELECT pg_sleep(2), 1",  # no rows for 2 s
    "SELECT i, CASE WHEN i = 1 THEN repeat('x', 100000) ELSE pg_sleep(2)::text END "
    "FROM generate_series(1, 2) i",  # a first row (sent: it fills the server's buffer),
])                                   # then none for 2 s
def test_waiting_for_copy_rows_lets_another_thread_run(app, engine_kind, query):
    """A report read waits on the server in ``select``, not in libpq holding the GIL: a
    report job is a thread of a web worker, whose other threads answer requests
    meanwhile. While one thread waits two seconds for its rows, the other goes on
    (libpq's own wait stopped it for the two seconds)."""
    if engine_kind != "postgresql":
        pytest.skip("PostgreSQL's COPY")
    url = get_engine(app).url.set(drivername="postgresql").render_as_string(
        hide_password=False)
    rows: list[bytes] = []

    def copy() -> None:
        with psycopg.connect(url) as connection, CopyOut(
                connection.pgconn, f"COPY ({query}) TO STDOUT") as out:
            rows.append(out.read().splitlines()[-1])

    thread = threading.Thread(target=copy)
    last, longest = time.monotonic(), 0.0
    thread.start()
    while thread.is_alive():  # Python work: each step needs the GIL
        now = time.monotonic()
        longest, last = max(longest, now - last), now
    assert rows in ([b"\t1"], [b"2\t"])
    assert longest < 1.0
