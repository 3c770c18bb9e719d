"""audit events form a hash chain: sequence number, predecessor's hash, own hash

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 02:00:00

New columns on ``audit_event`` (empty until the first seal, which chains the existing
events in id order), the unique index on the sequence, a partial index on the events
not sealed yet, and ``audit_chain`` with the chain's end at the genesis.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import clinic.models.base
from clinic.migrations.sqlite_guards import add_length_guard, drop_guard

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite keeps no VARCHAR length: triggers refuse over-long text (as since 0006)
LENGTHS = (('audit_event', 'prev_hash', 64), ('audit_event', 'row_hash', 64), ('audit_chain', 'last_hash', 64))

GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('row_hash', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
    op.create_index('ix_audit_event_seq', 'audit_event', ['seq'], unique=True)
    op.create_index('ix_audit_event_unsealed', 'audit_event', ['id'], unique=False,
                    postgresql_where=sa.text('seq IS NULL'), sqlite_where=sa.text('seq IS NULL'))
    chain = op.create_table(
        'audit_chain',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('last_seq', sa.Integer(), nullable=False),
        sa.Column('last_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('sealed_at', clinic.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain')),
    )
    op.bulk_insert(chain, [{"id": 1, "last_seq": 0, "last_hash": GENESIS, "sealed_at": None}])

    if op.get_bind().dialect.name == 'sqlite':
        for table, column, length in LENGTHS:
            add_length_guard(table, column, length)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for table, column, _length in LENGTHS:
            drop_guard(f'ck_{table}_{column}_length')
    op.drop_table('audit_chain')
    op.drop_index('ix_audit_event_unsealed', table_name='audit_event')
    op.drop_index('ix_audit_event_seq', table_name='audit_event')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
