"""registry scale: indexes for the pages that read a page at a time; visit tallies

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 15:00:00

The patient list reads patients in study-code order (keyset pages), the status grid one
study (and site) in study-code order, and a visit's adverse events by visit. Plain
CREATE INDEX on both engines: no table is rebuilt.

``visit_tally`` holds the visit counts by study, site, arm, timepoint, state and window
(clinic.models.tally), filled here from the visits and kept by triggers from now on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from clinic.migrations.tally_triggers import BACKFILL, create_tally_triggers, drop_statements

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_patient_study_code_id', 'patient', ['study_code', 'id'], unique=False)
    op.create_index('ix_patient_study_site_code', 'patient', ['study_id', 'site_id', 'study_code'],
                    unique=False)
    op.create_index(op.f('ix_adverse_event_assessment_id'), 'adverse_event', ['assessment_id'],
                    unique=False)
    op.create_index('ix_assessment_state_target', 'assessment', ['state', 'target_date'],
                    unique=False)
    op.create_index('ix_assessment_patient_state_target', 'assessment',
                    ['patient_id', 'state', 'target_date'], unique=False)
    op.create_table(
        'visit_tally',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('study_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('arm_id', sa.Integer(), nullable=True),
        sa.Column('timepoint_id', sa.Integer(), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('window_open', sa.Date(), nullable=False),
        sa.Column('target_date', sa.Date(), nullable=False),
        sa.Column('window_close', sa.Date(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_tally')),
    )
    op.create_index('ix_visit_tally_key', 'visit_tally',
                    ['study_id', 'site_id', 'arm_id', 'timepoint_id'], unique=False)
    op.create_index('ix_visit_tally_open', 'visit_tally',
                    ['state', 'window_close', 'target_date'], unique=False)
    op.execute(BACKFILL)
    create_tally_triggers(op.execute, op.get_bind().dialect.name)


def downgrade() -> None:
    for sql in drop_statements(op.get_bind().dialect.name):
        op.execute(sql)
    op.drop_index('ix_visit_tally_open', table_name='visit_tally')
    op.drop_index('ix_visit_tally_key', table_name='visit_tally')
    op.drop_table('visit_tally')
    op.drop_index(op.f('ix_adverse_event_assessment_id'), table_name='adverse_event')
    op.drop_index('ix_assessment_patient_state_target', table_name='assessment')
    op.drop_index('ix_assessment_state_target', table_name='assessment')
    op.drop_index('ix_patient_study_site_code', table_name='patient')
    op.drop_index('ix_patient_study_code_id', table_name='patient')
