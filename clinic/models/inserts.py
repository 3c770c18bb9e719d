"""Many rows inserted in one statement, each row given the id the database chose."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert


def insert_with_ids(connection: Any, table: Table, rows: list[dict[str, Any]],
                    key: Sequence[str]) -> None:
    """Insert ``rows`` into ``table`` and set each row's ``id`` to the one it was given.

    ``key`` names columns whose values tell the rows apart. PostgreSQL returns the ids
    in the rows' order (SQLAlchemy's "insertmanyvalues" with ``sort_by_parameter_order``).
    SQLite promises no order for RETURNING, and SQLAlchemy then sends one statement per
    row; here the rows go as one statement that returns each new id with the row's
    ``key`` values, and each row takes the id returned with its own values. Rows that
    the key does not tell apart go one statement per row, as SQLAlchemy sends them."""
    if not rows:
        return
    keys = [tuple(row[name] for name in key) for row in rows]
    if connection.dialect.name != "sqlite" or len(set(keys)) != len(keys):
        ids = list(connection.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars())
    else:
        returned = connection.execute(insert(table).returning(
            table.c.id, *(table.c[name] for name in key)), rows).all()
        given = {tuple(found[1:]): found[0] for found in returned}
        ids = [given[k] for k in keys]
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
