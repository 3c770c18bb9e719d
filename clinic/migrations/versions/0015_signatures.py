"""electronic signatures of a patient's recorded data

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import clinic.models.base
from clinic.migrations.sqlite_guards import add_length_guard, drop_guard

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite keeps no VARCHAR length: triggers refuse over-long text (as since 0006)
LENGTHS = (('signature', 'printed_name', 200), ('signature', 'meaning', 20), ('signature', 'content_hash', 64))


def upgrade() -> None:
    op.create_table(
        'signature',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('signer_id', sa.Integer(), nullable=False),
        sa.Column('printed_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('meaning', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('signed_at', clinic.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.CheckConstraint("meaning IN ('approved', 'author', 'reviewed')",
                           name=op.f('ck_signature_meaning_known')),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'],
                                name=op.f('fk_signature_patient_id_patient')),
        sa.ForeignKeyConstraint(['signer_id'], ['app_user.id'],
                                name=op.f('fk_signature_signer_id_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signature')),
    )
    op.create_index(op.f('ix_signature_patient_id'), 'signature', ['patient_id'], unique=False)

    if op.get_bind().dialect.name == 'sqlite':
        for table, column, length in LENGTHS:
            add_length_guard(table, column, length)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for table, column, _length in LENGTHS:
            drop_guard(f'ck_{table}_{column}_length')
    op.drop_index(op.f('ix_signature_patient_id'), table_name='signature')
    op.drop_table('signature')
