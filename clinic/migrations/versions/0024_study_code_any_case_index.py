"""an index for a study code whatever its case

Enrollment refuses a study code already used in another case ("ha-01" beside "HA-01"):
``upper(study_code)`` within the study. Without an index on that expression the check
read every patient of the study at each enrollment (a scan of 200,000 rows in a large
registry); with it, one lookup on both engines (the index holds the code as stored too,
so that the check reads the index alone).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_patient_study_code_upper', 'patient',
                    ['study_id', sa.text('upper(study_code)'), 'study_code'])


def downgrade() -> None:
    op.drop_index('ix_patient_study_code_upper', table_name='patient')
