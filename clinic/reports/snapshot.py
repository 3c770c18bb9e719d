"""The report's reads in one snapshot of the database, on both engines.

Each of the report's reads (:func:`clinic.reports.data._frame`) used to see what was
committed when it began: PostgreSQL's transactions are READ COMMITTED, and Python's
``sqlite3`` opens no transaction for a SELECT. A follow-up saved between the read of
the visits and the read of the scores was half in the report: its scores, with its
visit still pending. While :func:`one_snapshot` is open every read sees the database as
the first one found it:

- PostgreSQL: the reads go through a connection of their own in a ``REPEATABLE READ,
  READ ONLY`` transaction (taken from the engine's pool for the time of the reads).
  That snapshot holds the session's own data only if the session has written nothing
  uncommitted: nothing pending, and no transaction id assigned to its transaction
  (PostgreSQL assigns one at the first write); otherwise the reads stay on the
  session's connection, as before; and they stay there when the pool has no
  connection to spare (it would wait for one).
- SQLite: the session's connection, when it holds no transaction, begins one for the
  reads (deferred: a read transaction, which in WAL mode keeps the snapshot of its
  first read and blocks no writer) and ends it after them. (A large study's reads go
  through the reader process, in its own read transaction: clinic.reports.arrow.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, text
from sqlmodel import Session

SESSION_KEY = "clinic.reports.snapshot"


@contextmanager
def one_snapshot(session: Session) -> Iterator[None]:
    if _sqlite_without_transaction(session):
        with _sqlite_read_transaction(session):
            yield
        return
    if not _may_read_apart(session):
        yield
        return
    engine = session.connection().engine
    with engine.connect().execution_options(isolation_level="REPEATABLE READ",
                                            postgresql_readonly=True) as reads:
        session.info[SESSION_KEY] = reads
        try:
            yield
        finally:
            session.info.pop(SESSION_KEY, None)
            reads.rollback()  # read only: nothing to keep


def snapshot_connection(session: Session) -> Connection | None:
    """The connection of the open :func:`one_snapshot`, if there is one."""
    reads: Connection | None = session.info.get(SESSION_KEY)
    return reads


def _sqlite_without_transaction(session: Session) -> bool:
    connection = session.connection()
    if connection.dialect.name != "sqlite" or session.new or session.dirty or session.deleted:
        return False
    return not connection.connection.dbapi_connection.in_transaction  # type: ignore[union-attr]


@contextmanager
def _sqlite_read_transaction(session: Session) -> Iterator[None]:
    connection = session.connection()
    connection.exec_driver_sql("BEGIN")
    try:
        yield
    finally:
        if connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            connection.exec_driver_sql("ROLLBACK")  # it only read


def _may_read_apart(session: Session) -> bool:
    connection = session.connection()
    if connection.dialect.name != "postgresql" or SESSION_KEY in session.info:
        return False
    if not _spare_connection(connection.engine.pool):
        return False  # every pooled connection in use: waiting for one could block
    if session.new or session.dirty or session.deleted:
        return False  # writes not flushed: another connection would not see them
    written: Any = connection.execute(text("SELECT txid_current_if_assigned()")).scalar()
    return written is None  # a transaction id: written, not committed


def _spare_connection(pool: Any) -> bool:
    """Whether the pool can give another connection without waiting (a pool of 1,
    whose one connection this session holds, would make the report wait for itself)."""
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    if size is None or overflow < 0:  # not a QueuePool, or no limit
        return True
    return int(pool.checkedout()) < int(size()) + int(overflow)
