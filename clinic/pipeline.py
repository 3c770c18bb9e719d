"""Statements sent to PostgreSQL in one flight: psycopg's pipeline mode.

A request waits for the server once per statement; statements that do not need each
other's answers can go together and be answered together (one round trip). Each is
still a statement of its own, run in order, each reading what is committed when it
starts, with its own parameters (the extended query protocol: psycopg prepares a
statement it sends often, as it does any other). SQLAlchemy reads a result as soon as
its statement is sent, before a pipeline has its answers, so the statements go on the
driver's cursors; SQLAlchemy's cursor events still see each of them (listeners that
count or log statements), and a database error is raised as SQLAlchemy raises it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

Statement = tuple[str, dict[str, Any]]  # psycopg's SQL (%(name)s) and its parameters


def pipelined(connection: Connection, statements: Sequence[Statement]) -> list[list[Any]]:
    """Run ``statements`` in order on ``connection`` (PostgreSQL, in its transaction) in
    one round trip; the rows each returned (an empty list for one that returns none)."""
    import psycopg  # (here: a command on SQLite never needs it)

    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection), "PostgreSQL only"
    cursors = [driver.cursor() for _ in statements]
    for cursor, (sql, params) in zip(cursors, statements, strict=True):
        connection.dispatch.before_cursor_execute(connection, cursor, sql, params, None,
                                                  False)
    try:
        with driver.pipeline():
            for cursor, (sql, params) in zip(cursors, statements, strict=True):
                cursor.execute(sql, params)  # type: ignore[arg-type]
        rows = [cursor.fetchall() if cursor.description is not None else []
                for cursor in cursors]
    except psycopg.Error as error:  # raised as SQLAlchemy raises it (an IntegrityError...)
        raise DBAPIError.instance("; ".join(sql for sql, _ in statements), None, error,
                                  psycopg.Error) from error
    finally:
        for cursor in cursors:
            cursor.close()
    for cursor, (sql, params) in zip(cursors, statements, strict=True):
        connection.dispatch.after_cursor_execute(connection, cursor, sql, params, None,
                                                 False)
    return rows


def driver_form(statement: Any, params: dict[str, Any], dialect: Any) -> Statement:
    """A Core statement and its parameters as the driver takes them (for
    :func:`pipelined`): its SQL, compiled once per statement, and its parameters with
    the constants it was built with and each one's bind processor applied (a time
    zone's check), as SQLAlchemy sends them."""
    sql, constants, binds = _compiled(statement, dialect)
    given = {**constants, **params}
    return sql, {name: binds[name](value) if name in binds else value
                 for name, value in given.items()}


@lru_cache(maxsize=64)
def _compiled(statement: Any, dialect: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    compiled = statement.compile(dialect=dialect)
    constants = {name: bind.effective_value for name, bind in compiled.binds.items()
                 if not bind.required}
    binds = {name: process for name, bind in compiled.binds.items()
             if (process := bind.type.bind_processor(dialect)) is not None}
    return compiled.string, constants, binds
