"""study nerve roots: which roots' laterality a study asks at enrollment

``roots`` (a JSON list of root codes such as ["C5", "C6", "C7"]): the enrollment form
asks the radicular laterality at these roots. Existing studies get none stored, which
reads as the seed trial's lumbar roots L3, L4, L5 that every study asked until now.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a plain ADD COLUMN on both engines (SQLite keeps the table and its guards)
    op.add_column('study', sa.Column('roots', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE study DROP COLUMN roots")
