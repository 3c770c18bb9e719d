"""Changing a SQLite table's declared schema in place, for a change that leaves its stored
rows valid (sqlite.org/lang_altertable.html, section 7): the text of ``CREATE TABLE`` in
``sqlite_master`` is rewritten, the schema version raised, and the database checked.
Used where rebuilding a table would trip the foreign keys that point at it, drop its
triggers, or copy an append-only audit trail (migrations 0028 and 0030)."""

from __future__ import annotations

import sqlalchemy as sa


def table_schemas(bind: sa.Connection, tables: tuple[str, ...]) -> dict[str, str]:
    """Each table's ``CREATE TABLE`` text; RuntimeError if one is missing."""
    rows = bind.execute(sa.text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ({})".format(
            ', '.join(f"'{t}'" for t in tables)))).all()
    found = {name: sql for name, sql in rows}
    missing = set(tables) - set(found)
    if missing:
        raise RuntimeError(f"tables missing: {', '.join(sorted(missing))}")
    return found


def rewrite_schemas(bind: sa.Connection, changed: dict[str, str]) -> None:
    """Each table's ``CREATE TABLE`` text replaced, then ``PRAGMA integrity_check``."""
    version = bind.execute(sa.text('PRAGMA schema_version')).scalar()
    bind.execute(sa.text('PRAGMA writable_schema=ON'))
    for table, sql in changed.items():
        bind.execute(sa.text("UPDATE sqlite_master SET sql = :sql "
                             "WHERE type = 'table' AND name = :name"),
                     {'sql': sql, 'name': table})
    bind.execute(sa.text(f'PRAGMA schema_version={int(version) + 1}'))
    bind.execute(sa.text('PRAGMA writable_schema=OFF'))
    problems = bind.execute(sa.text('PRAGMA integrity_check')).scalars().all()
    if problems != ['ok']:
        raise RuntimeError('the schema change left the database damaged: '
                           + '; '.join(problems[:5]))
