"""audited tables on SQLite: AUTOINCREMENT, an id never given again

An audit event names its row by table and id. SQLite gives a new row the largest id + 1
unless its table has AUTOINCREMENT: the newest row of a table, once deleted (a score
removed by a correction, a procedure's target, a study's arm), gave its id to the next
row, and that row's audit trail began with the deleted one's events (another patient's
score showed the first one's create and delete). PostgreSQL's sequences never go back.

SQLite cannot add AUTOINCREMENT to a table, and rebuilding 28 tables would trip every
foreign key that points at them: the primary key's text is changed in the schema
instead, SQLite's documented way for a change that leaves the stored rows as they are
(sqlite.org/lang_altertable.html, section 7): an ``INTEGER PRIMARY KEY`` is the rowid
either way, declared on the column or by the table; only the choice of the next id
changes (sqlite.org/autoinc.html). Each table's counter starts past the largest id its
rows or its audit events ever named, so that an id deleted before this upgrade is not
given again either.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clinic.migrations.sqlite_schema import rewrite_schemas, table_schemas

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the audited tables at this revision (clinic.models.audited_tables); a table audited
# later is created with AUTOINCREMENT by its own migration
AUDITED = ('adverse_event', 'app_user', 'assessment', 'data_query', 'data_query_step',
           'dose_event', 'dose_report', 'eligibility_criterion', 'enrollment', 'injectate',
           'medication', 'patient', 'patient_identity', 'procedure', 'procedure_target',
           'protocol_amendment', 'record_lock', 'root_laterality', 'score', 'score_section',
           'screening', 'screening_answer', 'signature', 'study', 'study_arm',
           'study_measure', 'study_monitor', 'study_timepoint')
COLUMN = '\tid INTEGER NOT NULL, \n'


def _keys(table: str) -> tuple[str, str]:
    """The table's primary key as the models' migrations wrote it, and as AUTOINCREMENT
    needs it: on the column (the constraint keeps its name)."""
    return (f'CONSTRAINT pk_{table} PRIMARY KEY (id), \n\t',
            f'\tid INTEGER NOT NULL CONSTRAINT pk_{table} PRIMARY KEY AUTOINCREMENT, \n')


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    # sqlite_sequence, the counters, exists once a table with AUTOINCREMENT was created
    bind.execute(sa.text('CREATE TABLE _clinic_counters (id INTEGER PRIMARY KEY AUTOINCREMENT)'))
    bind.execute(sa.text('DROP TABLE _clinic_counters'))
    changed = {}
    for table, sql in _schema(bind).items():
        table_key, column_key = _keys(table)
        plain = column_key.replace(' AUTOINCREMENT', '')  # as this downgrade leaves it
        if sql.count(plain) == 1:
            changed[table] = sql.replace(plain, column_key)
        elif sql.count(COLUMN) == 1 and sql.count(table_key) == 1:
            changed[table] = sql.replace(table_key, '').replace(COLUMN, column_key)
        else:
            raise RuntimeError(f"{table}'s primary key is not as the migrations wrote it: "
                               "not changed.")
    rewrite_schemas(bind, changed)
    for table in AUDITED:
        bind.execute(sa.text(
            'INSERT INTO sqlite_sequence (name, seq) SELECT :t, max(coalesce(max(id), 0), '
            f'(SELECT coalesce(max(entity_id), 0) FROM audit_event WHERE entity = :t), '
            f'(SELECT coalesce(max(entity_id), 0) FROM identity_audit_event WHERE entity = :t))'
            f' FROM "{table}"'), {'t': table})


def downgrade() -> None:
    """AUTOINCREMENT dropped: the key stays on the column, the same rowid as before."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    changed = {}
    for table, sql in _schema(bind).items():
        column_key = _keys(table)[1]
        if sql.count(column_key) != 1:
            raise RuntimeError(f"{table}'s primary key is not as 0028 wrote it: not changed.")
        changed[table] = sql.replace(column_key, column_key.replace(' AUTOINCREMENT', ''))
    rewrite_schemas(bind, changed)
    bind.execute(sa.text('DELETE FROM sqlite_sequence WHERE name IN ({})'.format(
        ', '.join(f"'{t}'" for t in AUDITED))))


def _schema(bind: sa.Connection) -> dict[str, str]:
    return table_schemas(bind, AUDITED)
