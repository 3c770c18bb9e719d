"""clinic.pipeline: statements sent to PostgreSQL in one round trip, run in order, seen
by SQLAlchemy's cursor events, a database error raised as SQLAlchemy raises it."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.exc import DataError

from clinic.db import get_engine
from clinic.pipeline import pipelined


@pytest.fixture
def pg(app):
    engine = get_engine(app)
    if engine.dialect.name != "postgresql":
        pytest.skip("psycopg's pipeline: PostgreSQL only")
    with engine.connect() as connection, connection.begin() as transaction:
        yield connection
        transaction.rollback()


def test_the_statements_run_in_order_in_one_round_trip(pg, tmp_path):
    seen: list[str] = []
    event.listen(pg, "before_cursor_execute", lambda *args: seen.append(args[2]))
    statements = [("CREATE TEMPORARY TABLE t (n integer)", {}),
                  ("INSERT INTO t SELECT unnest(%(n)s::integer[])", {"n": [3, 1, 2]}),
                  ("SELECT sum(n), %(label)s FROM t", {"label": "it's 100%"})]
    pg.exec_driver_sql("SELECT 1")  # the transaction begun, as in a request
    trace = tmp_path / "trace"
    with trace.open("w") as out:
        pgconn = pg.connection.driver_connection.pgconn
        pgconn.trace(out.fileno())
        try:
            rows = pipelined(pg, statements)
        finally:
            pgconn.untrace()
    assert rows == [[], [], [(6, "it's 100%")]]
    assert seen[1:] == [sql for sql, _ in statements]
    answers = [line for line in trace.read_text().splitlines()
               if "\tB\t" in line and "ReadyForQuery" in line]
    assert len(answers) == 1, "one round trip"


def test_a_database_error_is_sqlalchemys_and_names_the_statements(pg):
    with pytest.raises(DataError) as raised:
        pipelined(pg, [("SELECT 1", {}), ("SELECT 1 / %(zero)s", {"zero": 0})])
    assert "division by zero" in str(raised.value)
    assert "SELECT 1 / %(zero)s" in str(raised.value)
