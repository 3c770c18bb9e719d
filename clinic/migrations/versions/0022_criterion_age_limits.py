"""criterion age limits: an inclusion criterion may say which ages it admits

``age_at_least`` and ``age_at_most`` (years at enrollment, 0-120, both may be empty):
enrollment refuses a "yes" to such a criterion when the age entered is outside them.
Existing criteria get none (their text stays what the nurse reads).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 22:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ('age_at_least', 'age_at_most')


def upgrade() -> None:
    # ADD COLUMN with a named column CHECK, the same words on both engines: SQLite
    # accepts it without rebuilding the table (and so keeps the table's length guards)
    for column in COLUMNS:
        op.execute(f"ALTER TABLE eligibility_criterion ADD COLUMN {column} INTEGER "
                   f"CONSTRAINT ck_eligibility_criterion_{column}_range CHECK "
                   f"({column} IS NULL OR ({column} >= 0 AND {column} <= 120))")


def downgrade() -> None:
    # both engines drop a column with its own CHECK (SQLite 3.35+: a CHECK that names
    # only the dropped column goes with it)
    for column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE eligibility_criterion DROP COLUMN {column}")
