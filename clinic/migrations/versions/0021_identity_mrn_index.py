"""identity MRN index: enrollment refuses a second enrollment of one MRN in a study

The check looks the MRN up among the study's patients at every enrollment; the index
keeps that lookup from reading every identity of the registry.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 19:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a plain CREATE INDEX (no batch: SQLite needs no table rebuild for it)
    op.create_index(op.f('ix_patient_identity_mrn'), 'patient_identity', ['mrn'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_patient_identity_mrn'), table_name='patient_identity')
