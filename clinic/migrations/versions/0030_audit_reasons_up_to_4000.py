"""audit reasons up to 4,000 characters

An audit event's reason held 500 characters. A reason typed by a user is still refused
past 500 (``clinic.edits.REASON_MAX``), but a save over confirmed warnings writes what
was confirmed ("Confirmed before saving: …", one sentence per warning) with the reason,
and four or five warnings went past 500: the list was cut, silently, in the audit trail.
The column now holds 4,000.

PostgreSQL widens a VARCHAR in place (no row is rewritten, so the append-only triggers of
0025 are not in the way). SQLite does not check a VARCHAR's length (its guard triggers
do, dropped and made again at 4,000); the column's declared type is changed in the
schema's text, as 0028 changed the primary keys, SQLite's documented way for a change
that leaves the stored rows valid (sqlite.org/lang_altertable.html, section 7).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clinic.migrations.sqlite_guards import add_length_guard, drop_guard
from clinic.migrations.sqlite_schema import rewrite_schemas, table_schemas

revision: str = '0030'
down_revision: str | None = '0029'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('audit_event', 'identity_audit_event')
BEFORE, AFTER = 500, 4000


def upgrade() -> None:
    _widen(BEFORE, AFTER)


def downgrade() -> None:
    """Back to 500: refused (nothing is cut) while a reason is longer."""
    bind = op.get_bind()
    for table in TABLES:
        longer = bind.execute(sa.text(
            f'SELECT count(*) FROM {table} WHERE length(reason) > {BEFORE}')).scalar()
        if longer:
            raise RuntimeError(f'{longer} reasons in {table} are longer than {BEFORE} '
                               'characters: not narrowed (they would be cut).')
    _widen(AFTER, BEFORE)


def _widen(old: int, new: int) -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        for table in TABLES:
            op.execute(f'ALTER TABLE {table} ALTER COLUMN reason TYPE VARCHAR({new})')
        return
    declared, wanted = f'reason VARCHAR({old}),', f'reason VARCHAR({new}),'
    changed = {}
    for table, sql in table_schemas(bind, TABLES).items():
        if sql.count(declared) != 1:
            raise RuntimeError(f"{table}.reason is not declared as the migrations wrote it: "
                               "not changed.")
        changed[table] = sql.replace(declared, wanted)
    rewrite_schemas(bind, changed)
    for table in TABLES:
        drop_guard(f'ck_{table}_reason_length')
        add_length_guard(table, 'reason', new)
