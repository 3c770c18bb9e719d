"""dose reports (DICOM RDSR) imported onto procedures, and their irradiation events

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 09:28:00.795330
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import clinic.models.base
from clinic.migrations.sqlite_guards import add_length_guard, drop_guard

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# SQLite keeps no VARCHAR length: triggers refuse over-long text (as since 0006)
LENGTHS = (('dose_report', 'sop_instance_uid', 64), ('dose_report', 'study_instance_uid', 64),
           ('dose_report', 'kind', 10), ('dose_report', 'manufacturer', 64),
           ('dose_event', 'event_uid', 64))


def upgrade() -> None:
    op.create_table('dose_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('sop_instance_uid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('study_instance_uid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('manufacturer', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('dap_mgy_cm2', sa.Float(), nullable=True),
    sa.Column('fluoroscopy_time_s', sa.Float(), nullable=True),
    sa.Column('dlp_mgy_cm', sa.Float(), nullable=True),
    sa.Column('imported_at', clinic.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('ct', 'xray')", name=op.f('ck_dose_report_kind_known')),
    sa.ForeignKeyConstraint(['imported_by_id'], ['app_user.id'], name=op.f('fk_dose_report_imported_by_id_app_user')),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], name=op.f('fk_dose_report_procedure_id_procedure'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dose_report')),
    sa.UniqueConstraint('sop_instance_uid', name=op.f('uq_dose_report_sop_instance_uid'))
    )
    with op.batch_alter_table('dose_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dose_report_procedure_id'), ['procedure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dose_report_study_instance_uid'), ['study_instance_uid'], unique=False)

    op.create_table('dose_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('event_uid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('dap_mgy_cm2', sa.Float(), nullable=True),
    sa.Column('ctdivol_mgy', sa.Float(), nullable=True),
    sa.Column('dlp_mgy_cm', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], name=op.f('fk_dose_event_procedure_id_procedure'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['dose_report.id'], name=op.f('fk_dose_event_report_id_dose_report'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dose_event')),
    sa.UniqueConstraint('event_uid', name=op.f('uq_dose_event_event_uid'))
    )
    with op.batch_alter_table('dose_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dose_event_procedure_id'), ['procedure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dose_event_report_id'), ['report_id'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        for table, column, length in LENGTHS:
            add_length_guard(table, column, length)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for table, column, _length in LENGTHS:
            drop_guard(f'ck_{table}_{column}_length')
    with op.batch_alter_table('dose_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dose_event_report_id'))
        batch_op.drop_index(batch_op.f('ix_dose_event_procedure_id'))

    op.drop_table('dose_event')
    with op.batch_alter_table('dose_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dose_report_study_instance_uid'))
        batch_op.drop_index(batch_op.f('ix_dose_report_procedure_id'))

    op.drop_table('dose_report')
