"""enrollment tallies: enrolled patients per study, site and arm, kept by triggers

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 12:40:00

The home page counts enrolled patients by arm and the patient list shows its total:
at 200,000 patients each count read every enrollment (16–60 ms). ``enrollment_tally``
(clinic.models.tally) is filled here from the enrollments and kept by triggers from now
on (clinic/migrations/enrollment_tally.py), as ``visit_tally`` is since 0011.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clinic.migrations.enrollment_tally import (
    BACKFILL,
    create_enrollment_tally_triggers,
    drop_statements,
)

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'enrollment_tally',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('study_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('arm_id', sa.Integer(), nullable=True),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollment_tally')),
    )
    op.create_index('ix_enrollment_tally_key', 'enrollment_tally',
                    ['study_id', 'site_id', 'arm_id'], unique=False)
    op.execute(BACKFILL)
    create_enrollment_tally_triggers(op.execute, op.get_bind().dialect.name)


def downgrade() -> None:
    for sql in drop_statements(op.get_bind().dialect.name):
        op.execute(sql)
    op.drop_index('ix_enrollment_tally_key', table_name='enrollment_tally')
    op.drop_table('enrollment_tally')
