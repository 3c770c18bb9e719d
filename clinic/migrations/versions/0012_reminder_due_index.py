"""reminders planned on write: the daily pass reads the pending reminders whose
sending day has come, an index range on (state, send_on)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 18:30:00

Plain CREATE INDEX on both engines: no table is rebuilt.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_reminder_state_send_on', 'reminder', ['state', 'send_on'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_reminder_state_send_on', table_name='reminder')
