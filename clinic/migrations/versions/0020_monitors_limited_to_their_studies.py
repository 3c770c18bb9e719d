"""monitors limited to their studies: study_monitor (user, study)

Each monitor existing before this revision is given every existing study, so that nobody
loses access on upgrade; an administrator then narrows it on the user's page. Monitors
made afterwards see no study until they are given one.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 16:07:19
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('study_monitor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['study_id'], ['study.id'], name=op.f('fk_study_monitor_study_id_study'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_study_monitor_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_monitor')),
    sa.UniqueConstraint('user_id', 'study_id', name='uq_study_monitor_pair')
    )
    with op.batch_alter_table('study_monitor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_monitor_study_id'), ['study_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_monitor_user_id'), ['user_id'], unique=False)
    op.execute("INSERT INTO study_monitor (user_id, study_id) SELECT app_user.id, study.id "
               "FROM app_user, study WHERE app_user.role = 'monitor' "
               "ORDER BY app_user.id, study.id")


def downgrade() -> None:
    with op.batch_alter_table('study_monitor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_monitor_user_id'))
        batch_op.drop_index(batch_op.f('ix_study_monitor_study_id'))
    op.drop_table('study_monitor')
