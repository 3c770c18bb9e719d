"""locks on recorded data: a visit, a patient, a whole study

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import clinic.models.base
from clinic.migrations.sqlite_guards import add_length_guard, drop_guard

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite keeps no VARCHAR length: triggers refuse over-long text (as since 0006)
LENGTHS = (('record_lock', 'target', 40), ('record_lock', 'level', 10))


def upgrade() -> None:
    op.create_table(
        'record_lock',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('study_id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=True),
        sa.Column('assessment_id', sa.Integer(), nullable=True),
        sa.Column('locked_at', clinic.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('locked_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("level IN ('patient', 'study', 'visit')", name=op.f('ck_record_lock_level_known')),
        sa.CheckConstraint("(level = 'study') = (patient_id IS NULL)",
                           name=op.f('ck_record_lock_study_has_no_patient')),
        sa.CheckConstraint("(level = 'visit') = (assessment_id IS NOT NULL)",
                           name=op.f('ck_record_lock_visit_has_assessment')),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'],
                                name=op.f('fk_record_lock_assessment_id_assessment')),
        sa.ForeignKeyConstraint(['locked_by_id'], ['app_user.id'],
                                name=op.f('fk_record_lock_locked_by_id_app_user')),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'],
                                name=op.f('fk_record_lock_patient_id_patient')),
        sa.ForeignKeyConstraint(['study_id'], ['study.id'],
                                name=op.f('fk_record_lock_study_id_study')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_record_lock')),
    )
    op.create_index(op.f('ix_record_lock_study_id'), 'record_lock', ['study_id'], unique=False)
    op.create_index(op.f('ix_record_lock_target'), 'record_lock', ['target'], unique=True)

    if op.get_bind().dialect.name == 'sqlite':
        for table, column, length in LENGTHS:
            add_length_guard(table, column, length)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for table, column, _length in LENGTHS:
            drop_guard(f'ck_{table}_{column}_length')
    op.drop_index(op.f('ix_record_lock_target'), table_name='record_lock')
    op.drop_index(op.f('ix_record_lock_study_id'), table_name='record_lock')
    op.drop_table('record_lock')
