"""identity changes form a hash chain of their own, as the audit trail does since 0013

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 15:10:00

``identity_audit_event`` keeps the values behind an identity change (name, MRN, phone,
e-mail, consent); ``audit_event`` only says that they changed. New columns on it (empty
until the first seal, which chains the existing events in id order), the unique index
on the sequence, a partial index on the events not sealed yet, and the chain's end as
row 2 of ``audit_chain``, at the genesis.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from clinic.migrations.sqlite_guards import add_length_guard, drop_guard

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = 'identity_audit_event'
# SQLite keeps no VARCHAR length: triggers refuse over-long text (as since 0006)
LENGTHS = ((TABLE, 'prev_hash', 64), (TABLE, 'row_hash', 64))
GENESIS = "0" * 64
IDENTITY_CHAIN = 2


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('row_hash', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
    op.create_index('ix_identity_audit_event_seq', TABLE, ['seq'], unique=True)
    op.create_index('ix_identity_audit_event_unsealed', TABLE, ['id'], unique=False,
                    postgresql_where=sa.text('seq IS NULL'), sqlite_where=sa.text('seq IS NULL'))
    op.execute(sa.text("INSERT INTO audit_chain (id, last_seq, last_hash) "
                       f"VALUES ({IDENTITY_CHAIN}, 0, '{GENESIS}')"))
    if op.get_bind().dialect.name == 'sqlite':
        for table, column, length in LENGTHS:
            add_length_guard(table, column, length)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for table, column, _length in LENGTHS:
            drop_guard(f'ck_{table}_{column}_length')
    op.execute(sa.text(f"DELETE FROM audit_chain WHERE id = {IDENTITY_CHAIN}"))
    op.drop_index('ix_identity_audit_event_unsealed', table_name=TABLE)
    op.drop_index('ix_identity_audit_event_seq', table_name=TABLE)
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
