"""Engine and sessions: one engine per app, one session (and one commit) per request or job."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlmodel import Session

from clinic.exceptions import DatabaseUnavailable, SchemaOutOfDate

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Commands that run before the schema exists (init-db) or never touch the database.
SCHEMA_COMMANDS = {"init-db", "analyze"}  # migrate the schema, or need no database at all
NO_DATABASE_SUBCOMMANDS = {("study", "validate")}


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def make_engine(url: str, pool_size: int = 5, max_overflow: int = 5,
                ping_after_idle: float = 1.0) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys, a busy timeout, and write
    requests that take the write lock first (see :func:`_sqlite_begin`). PostgreSQL gets
    a pool of ``pool_size`` connections per process, plus ``max_overflow`` under load
    (DB_POOL_SIZE, DB_MAX_OVERFLOW; README "Deploying" sizes them), each tested before
    use if it sat idle ``ping_after_idle`` seconds or more (:func:`_ping_when_idle`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    _ping_when_idle(engine, ping_after_idle)
    # Many rows inserted without RETURNING (a save's audit events: one per changed field,
    # score and section) go as one multi-row INSERT, not one statement per row (the
    # driver's executemany): fewer statements for the server to run in each save.
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


_IDLE_SINCE = "clinic.idle_since"


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Test a pooled connection before it is used, if it sat idle ``idle_seconds`` or more
    (the server may have restarted, or dropped it, meanwhile). SQLAlchemy's
    ``pool_pre_ping`` tests it at every checkout: a round trip each time, two in every
    request (the session row's read, then the request's transaction), some 4 % of a
    follow-up save; under load the connections are never idle and none is tested. One
    found dead is replaced: a ``checkout`` listener raising ``DisconnectionError`` makes
    the pool discard the connection and take another (SQLAlchemy, ``PoolEvents.checkout``).
    A new connection has no idle time and is not tested."""
    dialect = engine.dialect

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("a pooled connection that sat idle is gone") from error

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """A request that may write takes SQLite's write lock when its transaction begins.

    SQLite allows one writer. A transaction that reads first and writes later cannot
    upgrade its lock if another writer committed in between (SQLITE_BUSY_SNAPSHOT,
    "database is locked", at once, whatever the busy timeout). ``BEGIN IMMEDIATE``
    makes concurrent writers wait for each other instead (busy_timeout, 30 s), so two
    nurses saving at once both succeed or get a version conflict, never a 500. Reads
    (GET) and jobs keep the driver's deferred transactions; WAL readers never wait.
    """
    from flask import has_request_context, request

    if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return  # no transaction: one statement, committed on its own
    if has_request_context() and request.method in UNSAFE_METHODS:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_app(app: Flask) -> None:
    import clinic.models  # noqa: F401  (register every table on the metadata)
    from clinic.audit import install_audit_listener
    from clinic.locks.guard import install_lock_guard
    from clinic.models.values import install_value_guard

    try:
        app.extensions["clinic.engine"] = make_engine(
            app.config["DATABASE_URL"], int(app.config["DB_POOL_SIZE"]),
            int(app.config["DB_MAX_OVERFLOW"]), float(app.config["DB_PING_AFTER_IDLE_SECONDS"]))
    except SQLAlchemyError as error:  # a URL that names no engine, or no URL at all
        raise _unavailable(app.config["DATABASE_URL"], error) from None
    install_value_guard()
    install_lock_guard()
    install_audit_listener()
    app.teardown_appcontext(_close_session)


def get_engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions["clinic.engine"]


def autocommit_engine(app: Flask | None = None) -> Engine:
    """The app's engine (its pool) with each statement committed on its own: for a
    single read that needs no transaction (the logged-in user's session row)."""
    app = app or current_app
    if "clinic.autocommit_engine" not in app.extensions:
        app.extensions["clinic.autocommit_engine"] = get_engine(app).execution_options(
            isolation_level="AUTOCOMMIT")
    return app.extensions["clinic.autocommit_engine"]  # type: ignore[no-any-return]


def get_session() -> Session:
    """The request's (or command's) session, opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


RACE_MESSAGES = ("database is locked", "could not serialize", "deadlock detected")


def lost_a_race(error: BaseException) -> bool:
    """A unique key taken by a concurrent transaction, SQLite's one-writer lock, or a
    PostgreSQL serialization failure: trying again from the start can succeed."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    if isinstance(error, IntegrityError):
        return True
    return isinstance(error, OperationalError) and any(
        m in str(error.orig).lower() for m in RACE_MESSAGES)


def retry_on_race(work: Any, attempts: int = 12) -> Any:
    """Run ``work()`` (which commits) again after a lost race, with a growing random
    pause; the last failure is raised. ``work`` must roll back on its own errors."""
    import random
    import time

    for attempt in range(1, attempts + 1):
        try:
            return work()
        except Exception as error:
            g_session = g.get("db_session")
            if g_session is not None:
                g_session.rollback()
            if attempt == attempts or not lost_a_race(error):
                raise
            time.sleep(random.uniform(0.005, 0.03) * attempt)  # noqa: S311  (not crypto)
    return None


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A session for a job: commit once at the end, roll back on any error."""
    session = Session(get_engine(app), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


SCHEMA_HEAD = "0030"  # the newest migration; tests/test_app.py holds it to Alembic's head


def schema_revisions(engine: Engine) -> tuple[str | None, str]:
    """(revision the database is at, head revision the code expects), read with one plain
    query: importing Alembic and its migration scripts would double a command's start."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None, SCHEMA_HEAD
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return current, SCHEMA_HEAD


def alembic_head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


def upgrade_to_head(app: Flask) -> None:
    from alembic import command

    engine = get_engine(app)
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def opened_engine(app: Flask) -> Engine:
    """The app's engine, connected once: DatabaseUnavailable, in one line naming the
    database, when its URL names no engine or it cannot be opened."""
    engine = get_engine(app)
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as error:
        raise _unavailable(app.config["DATABASE_URL"], error) from None
    return engine


def _unavailable(url: str, error: Exception) -> DatabaseUnavailable:
    reason = str(getattr(error, "orig", None) or error).splitlines()[0]
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        shown = "(not a database URL)"
    return DatabaseUnavailable(f"Cannot open the database {shown}: {reason}. Check "
                               "CLINIC_DATABASE_URL (for SQLite, that its folder exists).")


def check_schema_on_start(app: Flask) -> None:
    """Refuse to start on a schema that is behind (or ahead of) the code."""
    if not app.config["CHECK_SCHEMA"] or _running_schema_command():
        return
    current, head = schema_revisions(opened_engine(app))
    if current != head:
        raise SchemaOutOfDate(
            f"The database schema is at revision {current or 'none (empty database)'} but this "
            f"version of clinic needs {head}. Run: flask --app clinic init-db"
        )


def _running_schema_command() -> bool:
    """True when the flask CLI was asked to run a command that migrates the schema, or
    one that reads no database (``study validate`` checks a file)."""
    args = sys.argv[1:]
    pairs = set(zip(args, args[1:], strict=False))
    return bool(SCHEMA_COMMANDS.intersection(args) or NO_DATABASE_SUBCOMMANDS & pairs
                or "--help" in args)
