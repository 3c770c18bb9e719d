"""audit events name the record a child row belongs to

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 07:00:00

Targets and injectates belong to a procedure, ODI/NDI sections to a score, medications
to an assessment, root laterality to a patient, screening answers to a screening. Their
audit events now carry ``parent_entity``/``parent_id`` so the parent's history finds
them by index. Existing events are filled in: from the row itself while it exists, from
the event's JSON snapshot of the row once it was deleted.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# child table -> (parent table, foreign-key column), as the models declare them
PARENTS = {
    "procedure_target": ("procedure", "procedure_id"),
    "injectate": ("procedure", "procedure_id"),
    "score_section": ("score", "score_id"),
    "medication": ("assessment", "assessment_id"),
    "root_laterality": ("patient", "patient_id"),
    "screening_answer": ("screening", "screening_id"),
}


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_entity', sqlmodel.sql.sqltypes.AutoString(length=40),
                                      nullable=True))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_audit_event_parent', ['parent_entity', 'parent_id'], unique=False)
    for child, (parent, column) in PARENTS.items():
        _fill_from_rows(child, parent, column)
        _fill_from_snapshots(child, parent, column)


def _fill_from_rows(child: str, parent: str, column: str) -> None:
    op.execute(sa.text(
        f"UPDATE audit_event SET parent_entity = :parent, parent_id = "
        f"(SELECT c.{column} FROM {child} c WHERE c.id = audit_event.entity_id) "
        f"WHERE entity = :child AND parent_id IS NULL "
        f"AND EXISTS (SELECT 1 FROM {child} c WHERE c.id = audit_event.entity_id)"
    ).bindparams(parent=parent, child=child))


def _fill_from_snapshots(child: str, parent: str, column: str) -> None:
    """Rows deleted since: their create or delete event holds a snapshot of the row."""
    connection = op.get_bind()
    snapshots = connection.execute(sa.text(
        "SELECT entity_id, new_value, old_value FROM audit_event "
        "WHERE entity = :child AND parent_id IS NULL AND action IN ('create', 'delete')"
    ).bindparams(child=child)).all()
    parent_of: dict[int, int] = {}
    for entity_id, new_value, old_value in snapshots:
        for text in (new_value, old_value):
            try:
                row = json.loads(text or "")
            except ValueError:
                continue
            if isinstance(row, dict) and isinstance(row.get(column), int):
                parent_of[entity_id] = row[column]
    for entity_id, parent_id in parent_of.items():
        connection.execute(sa.text(
            "UPDATE audit_event SET parent_entity = :parent, parent_id = :parent_id "
            "WHERE entity = :child AND entity_id = :entity_id AND parent_id IS NULL"
        ).bindparams(parent=parent, parent_id=parent_id, child=child, entity_id=entity_id))


def downgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_parent')
        batch_op.drop_column('parent_id')
        batch_op.drop_column('parent_entity')
