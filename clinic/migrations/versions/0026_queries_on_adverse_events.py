"""data queries on adverse events; an index for the screening answers of a criterion

A monitor reviewing safety data asks about an adverse event as about any other value
(its type, onset, severity, relatedness, resolution): ``data_query.target_table`` now
admits ``adverse_event``. SQLite cannot alter a CHECK constraint, and rebuilding
``data_query`` would delete every step of every query by their ON DELETE CASCADE: the
constraint's text is replaced in the schema instead, as 0016 did for the roles
(sqlite.org/lang_altertable.html, section 7: a change that leaves every stored row
valid). Widening always does; the downgrade first deletes the queries on adverse
events.

The nightly rule ``age_outside_criterion`` starts from the inclusion criteria with age
limits (a handful) and needs their answers: without an index on
``screening_answer.criterion_id`` it read every answer of the registry.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = "target_table IN ('assessment', 'patient', 'procedure', 'score', 'score_section')"
AFTER = ("target_table IN ('adverse_event', 'assessment', 'patient', 'procedure', 'score', "
         "'score_section')")


def upgrade() -> None:
    _targets(BEFORE, AFTER)
    op.create_index('ix_screening_answer_criterion_id', 'screening_answer', ['criterion_id'])


def downgrade() -> None:
    op.drop_index('ix_screening_answer_criterion_id', table_name='screening_answer')
    op.execute("DELETE FROM data_query_step WHERE query_id IN "
               "(SELECT id FROM data_query WHERE target_table = 'adverse_event')")
    op.execute("DELETE FROM data_query WHERE target_table = 'adverse_event'")
    _targets(AFTER, BEFORE)


def _targets(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        op.drop_constraint(op.f('ck_data_query_target_known'), 'data_query', type_='check')
        op.create_check_constraint(op.f('ck_data_query_target_known'), 'data_query', new)
        return
    schema = sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' "
                     "AND name = 'data_query'")
    if old not in bind.execute(schema).scalar():
        raise RuntimeError(f"data_query's target constraint is not {old!r}: not changed.")
    version = bind.execute(sa.text('PRAGMA schema_version')).scalar()
    bind.execute(sa.text('PRAGMA writable_schema=ON'))
    bind.execute(sa.text("UPDATE sqlite_master SET sql = replace(sql, :old, :new) "
                         "WHERE type = 'table' AND name = 'data_query'"),
                 {'old': old, 'new': new})
    bind.execute(sa.text(f'PRAGMA schema_version={int(version) + 1}'))
    bind.execute(sa.text('PRAGMA writable_schema=OFF'))
