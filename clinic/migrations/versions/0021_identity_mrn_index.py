"""identity MRN key: enrollment refuses a second enrollment of one MRN in a study

``mrn_key`` is the MRN case-folded without spaces (clinic.contact.keys.mrn_key), kept by
the model like the name and phone keys; its index keeps the lookup at each enrollment
from reading every identity of the registry. Existing identities get their key here.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clinic.migrations.sqlite_guards import add_length_guard, drop_guard

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# SQLite keeps no VARCHAR length: a trigger refuses over-long text (as since 0006)
LENGTH = ('patient_identity', 'mrn_key', 50)


def _key(text: str | None) -> str | None:  # frozen copy of clinic.contact.keys.mrn_key
    key = "".join((text or "").casefold().split())
    return key[:50] or None


def upgrade() -> None:
    # plain ADD COLUMN and CREATE INDEX: SQLite needs no table rebuild for either
    op.add_column('patient_identity', sa.Column('mrn_key', sa.String(length=50), nullable=True))
    op.create_index(op.f('ix_patient_identity_mrn_key'), 'patient_identity', ['mrn_key'],
                    unique=False)
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT id, mrn FROM patient_identity WHERE mrn IS NOT NULL")).all()
    if rows:
        connection.execute(sa.text("UPDATE patient_identity SET mrn_key = :k WHERE id = :i"),
                           [{"k": _key(mrn), "i": i} for i, mrn in rows])
    if connection.dialect.name == 'sqlite':
        add_length_guard(*LENGTH)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        drop_guard(f'ck_{LENGTH[0]}_{LENGTH[1]}_length')
    op.drop_index(op.f('ix_patient_identity_mrn_key'), table_name='patient_identity')
    with op.batch_alter_table('patient_identity', schema=None) as batch_op:
        batch_op.drop_column('mrn_key')
