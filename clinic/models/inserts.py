"""Many rows inserted in one statement, each row given the id the database chose."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    Table,
    insert,
    inspect,
)


def insert_with_ids(connection: Any, table: Table, rows: list[dict[str, Any]],
                    key: Sequence[str]) -> None:
    """Insert ``rows`` into ``table`` and set each row's ``id`` to the one it was given.

    ``key`` names columns whose values tell the rows apart. PostgreSQL returns the ids
    in the rows' order (:func:`insert_unnested`; for a column type it does not take,
    SQLAlchemy's "insertmanyvalues" with ``sort_by_parameter_order``). SQLite promises
    no order for RETURNING, and SQLAlchemy then sends one statement per row; here the
    rows go as one statement that returns each new id with the row's ``key`` values,
    and each row takes the id returned with its own values. Rows equal in every column
    (two identical injectates) take their ids in ascending order, as they would one
    statement each; rows that the key does not tell apart but that
    differ elsewhere go one statement per row, as SQLAlchemy sends them."""
    if not rows:
        return
    if (ids := insert_unnested(connection, table, rows, returning_ids=True)) is not None:
        for row, new_id in zip(rows, ids, strict=True):
            row["id"] = new_id
        return
    keys = [tuple(row[name] for name in key) for row in rows]
    if connection.dialect.name != "sqlite" or not _key_tells_apart(rows, keys):
        ids = list(connection.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars())
    else:
        returned = connection.execute(insert(table).returning(
            table.c.id, *(table.c[name] for name in key)), rows).all()
        given: dict[tuple[Any, ...], list[int]] = {}
        for found in sorted(returned, key=lambda found: found[0], reverse=True):
            given.setdefault(tuple(found[1:]), []).append(found[0])
        ids = [given[k].pop() for k in keys]  # equal rows: their ids in ascending order
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id


def insert_unnested(connection: Any, table: Table, rows: list[dict[str, Any]], *,
                returning_ids: bool = False) -> list[int] | None:
    """Insert ``rows`` (each with the same columns) as one statement whose text depends
    only on the table and the columns, not on the number of rows: on PostgreSQL, each
    column goes as one array and ``unnest`` turns the arrays back into rows. The driver
    then parses the statement once and the server prepares it once per connection (a
    multi-row VALUES list is a new statement for every number of rows, parsed and
    planned each time: for the audit rows of a save, a fifth of its time). The rows keep
    their order, and so do their ids: the ``ORDER BY`` hands the rows to the sequence in
    that order. Returns the new ids in the rows' order with ``returning_ids``, else [].
    The arrays go in PostgreSQL's binary format (``%(c0)b``, straight to the driver): in
    text, psycopg quotes each element in Python, a regular expression apiece (0.5 ms for
    the audit rows of a save, against 0.1 ms in binary; the rows stored are the same).

    Returns None without writing anything on another engine, or for a column type not
    mapped here (JSON: the caller inserts the rows the ordinary way)."""
    if connection.dialect.name != "postgresql" or not rows:
        return None
    names = tuple(rows[0])
    plan = _unnest_plan(table, names, returning_ids, connection.dialect)
    if plan is None:
        return None
    statement, processors = plan
    result = connection.exec_driver_sql(statement, _arrays(rows, names, processors, "c"))
    return sorted(result.scalars()) if returning_ids else []


def insert_family(connection: Any, parent: Table, parents: list[dict[str, Any]],
                  child: Table, children: list[dict[str, Any]], link: str) -> bool:
    """Insert ``parents`` and their ``children`` as one statement, on PostgreSQL, each
    row given its ``id``: each child names its parent by its position in ``parents``
    (0, 1, ...) in its ``link`` column, replaced by the parent's new id. The children
    are inserted by a data-modifying CTE that reads the parents' ids from the other
    (one round trip instead of two; each part is :func:`insert_unnested`'s, its ids in
    the rows' order). Returns False without writing anything on another engine, or for
    a column type not mapped here: the caller inserts them one table after the other."""
    if connection.dialect.name != "postgresql" or not parents or not children:
        return False
    plan = _family_plan(parent, tuple(parents[0]), child, tuple(children[0]), link,
                        connection.dialect)
    if plan is None:
        return False
    statement, parent_processors, child_processors = plan
    params = {**_arrays(parents, tuple(parents[0]), parent_processors, "c"),
              **_arrays(children, tuple(children[0]), child_processors, "d")}
    found = connection.exec_driver_sql(statement, params).all()
    parent_ids = sorted(new_id for is_child, new_id in found if not is_child)
    child_ids = sorted(new_id for is_child, new_id in found if is_child)
    for row, new_id in zip(parents, parent_ids, strict=True):
        row["id"] = new_id
    for row, new_id in zip(children, child_ids, strict=True):
        row["id"] = new_id
        row[link] = parents[row[link]]["id"]
    return True


@cache
def _family_plan(parent: Table, parent_names: tuple[str, ...], child: Table,
                 child_names: tuple[str, ...], link: str,
                 dialect: Any) -> tuple[str, list[Any], list[Any]] | None:
    """The parents' INSERT as a CTE; the children's reads the parents' ids, in the
    parents' order, at the position each child names (counted from 0; PostgreSQL's
    arrays count from 1)."""
    parents = _unnest_parts(parent, parent_names, dialect, "c")
    children = _unnest_parts(child, child_names, dialect, "d")
    if parents is None or children is None:
        return None
    position = f"d{child_names.index(link)}"
    selected = ", ".join(f"p.ids[{alias}::integer + 1]" if alias == position else alias
                         for alias in (f"d{i}" for i in range(len(child_names))))
    statement = (
        f"WITH parents AS ({parents.into} SELECT {parents.aliases} FROM {parents.rows} "
        "ORDER BY n RETURNING id), "
        f"children AS ({children.into} SELECT {selected} FROM (SELECT array_agg(id "
        f"ORDER BY id) AS ids FROM parents) AS p, {children.rows} ORDER BY n RETURNING id) "
        "SELECT false, id FROM parents UNION ALL SELECT true, id FROM children")
    return statement, parents.processors, children.processors


def _arrays(rows: list[dict[str, Any]], names: tuple[str, ...], processors: list[Any],
            prefix: str) -> dict[str, list[Any]]:
    return {f"{prefix}{i}": [row[name] for row in rows] if process is None
            else [process(row[name]) for row in rows]
            for i, (name, process) in enumerate(zip(names, processors, strict=True))}


# strings go as TEXT: the INSERT refuses an over-long one, where a cast to VARCHAR(n)
# would cut it short without a word
_ARRAYS = ((Boolean, "BOOLEAN"), (Integer, "BIGINT"), (Float, "FLOAT8"), (Numeric, "NUMERIC"),
           (DateTime, "TIMESTAMP"), (Date, "DATE"), (String, "TEXT"))


@cache
def _unnest_plan(table: Table, names: tuple[str, ...], returning_ids: bool,
                 dialect: Any) -> tuple[str, list[Any]] | None:
    parts = _unnest_parts(table, names, dialect, "c")
    if parts is None:
        return None
    sql = (f"{parts.into} SELECT {parts.aliases} FROM {parts.rows} ORDER BY n"
           + (" RETURNING id" if returning_ids else ""))
    return sql, parts.processors


@dataclass(frozen=True)
class _Unnested:
    into: str  # INSERT INTO table (columns)
    aliases: str  # the columns as the rows name them: c0, c1, ...
    rows: str  # unnest(arrays) WITH ORDINALITY AS u(c0, c1, ..., n)
    processors: list[Any]  # each column's bind processor, or None


def _unnest_parts(table: Table, names: tuple[str, ...], dialect: Any,
                  prefix: str) -> _Unnested | None:
    quote = dialect.identifier_preparer.quote
    arrays, processors = [], []
    for i, name in enumerate(names):
        column_type = table.c[name].type
        base = getattr(column_type, "impl_instance", column_type)
        array = next((sql for kind, sql in _ARRAYS if isinstance(base, kind)), None)
        if array is None:
            return None
        if array == "TIMESTAMP" and getattr(base, "timezone", False):
            array = "TIMESTAMPTZ"
        arrays.append(f"CAST(%({prefix}{i})b AS {array}[])")  # (b: the binary format)
        process = column_type.bind_processor(dialect)  # e.g. UTCDateTime's own check
        if isinstance(base, Float):  # one array of one type: 2 and 2.5 both as floats
            process = _float if process is None else _then_float(process)
        processors.append(process)
    aliases = ", ".join(f"{prefix}{i}" for i in range(len(names)))
    return _Unnested(
        into=f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)})",
        aliases=aliases,
        rows=f"unnest({', '.join(arrays)}) WITH ORDINALITY AS u({aliases}, n)",
        processors=processors)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _then_float(process: Any) -> Any:
    return lambda value: _float(process(value))


def _key_tells_apart(rows: list[dict[str, Any]], keys: list[tuple[Any, ...]]) -> bool:
    """Whether rows with equal ``keys`` are equal in every column too."""
    first: dict[tuple[Any, ...], dict[str, Any]] = {}
    return all(first.setdefault(k, row) == row for k, row in zip(keys, rows, strict=True))


def new_row(model: Any, values: dict[str, Any]) -> dict[str, Any]:
    """A new row of ``model`` for an INSERT: ``values``, and every other column (the id
    aside) at its default, as ``model(**values)`` would hold them, without building the
    object (a tenth of a millisecond each, for thousands of rows)."""
    row = {}
    for name, info in _fields(model):
        if name in values:
            row[name] = values[name]
        elif info.is_required():
            raise ValueError(f"{model.__tablename__}: {name} is required")
        else:
            row[name] = info.get_default(call_default_factory=True)
    unknown = values.keys() - row.keys()
    if unknown:
        raise ValueError(f"{model.__tablename__}: no column {', '.join(sorted(unknown))}")
    return row


@cache
def _fields(model: Any) -> tuple[tuple[str, Any], ...]:
    columns = {a.key for a in inspect(model).column_attrs} - {"id"}
    return tuple((name, info) for name, info in model.model_fields.items() if name in columns)
