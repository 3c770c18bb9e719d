"""one index over (entity, entity_id) for a record's history

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 07:30:00

The patient page asks for the events of a list of records per table. With an index on
``entity`` alone, SQLite walked every event of the table (every score of the study) to
find a patient's; the composite index finds them directly and replaces both single-column
indexes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_record', ['entity', 'entity_id'], unique=False)
        batch_op.drop_index('ix_audit_event_entity')
        batch_op.drop_index('ix_audit_event_entity_id')


def downgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_entity_id', ['entity_id'], unique=False)
        batch_op.create_index('ix_audit_event_entity', ['entity'], unique=False)
        batch_op.drop_index('ix_audit_event_record')
