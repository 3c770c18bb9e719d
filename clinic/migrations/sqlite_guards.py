"""Database-side limits that SQLite does not enforce by itself, as triggers.

SQLite ignores VARCHAR lengths, and adding a CHECK to an existing SQLite table means
rebuilding it (with foreign keys on, dropping the old table would cascade deletes).
A pair of BEFORE INSERT / BEFORE UPDATE triggers refuses the same rows a CHECK would,
with SQLITE_CONSTRAINT (an IntegrityError), and needs no rebuild. PostgreSQL enforces
VARCHAR lengths itself and gets real CHECK constraints for the numeric bounds.
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic import op


def guard_sql(name: str, table: str, columns: str, condition: str) -> Iterator[str]:
    """The two triggers refusing rows where ``condition`` (over NEW.*) holds."""
    for event, suffix in (("INSERT", "ins"), (f"UPDATE OF {columns}", "upd")):
        yield (f'CREATE TRIGGER IF NOT EXISTS {name}_{suffix} BEFORE {event} ON "{table}" '
               f"FOR EACH ROW WHEN {condition} "
               f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END")


def add_guard(name: str, table: str, columns: str, condition: str) -> None:
    for sql in guard_sql(name, table, columns, condition):
        op.execute(sql)


def add_length_guard(table: str, column: str, length: int) -> None:
    add_guard(f"ck_{table}_{column}_length", table, column,
              f"length(NEW.{column}) > {length}")


def add_range_guard(table: str, column: str, low: float, high: float) -> None:
    add_guard(f"ck_{table}_{column}_range", table, column,
              f"NEW.{column} IS NOT NULL AND (NEW.{column} < {low:g} OR NEW.{column} > {high:g})")


def drop_guard(name: str) -> None:
    for suffix in ("ins", "upd"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}_{suffix}")
