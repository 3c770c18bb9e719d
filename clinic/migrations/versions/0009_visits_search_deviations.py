"""the nurse's day: visit dates, reasons for missing outcomes, search keys and date of
birth, reasons for procedure deviations

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00

``assessment.visit_on`` is the day of the visit (existing completed visits get the
UTC day of ``completed_at``, which was the visit time); ``assessment.missing_reason``
says why a required outcome was not collected. ``patient_identity`` gains the date of
birth and the search keys of the name and phone number (filled here for existing
rows). ``procedure.deviation_reason`` holds the reason given for a deviation.
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from clinic.migrations.sqlite_guards import add_length_guard, drop_guard

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUARDS = (('assessment', 'missing_reason', 500), ('patient_identity', 'name_key', 200),
          ('patient_identity', 'phone_key', 40), ('procedure', 'deviation_reason', 500))


def _name_key(text):  # as clinic.contact.keys.name_key, frozen here
    if not text:
        return None
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.replace("ß", "ss").split())[:200] or None


def _phone_key(text):
    return re.sub(r"\D", "", text or "")[:40] or None


def upgrade() -> None:
    # Plain ADD COLUMN: SQLite must not rebuild tables that others reference.
    op.add_column('assessment', sa.Column('visit_on', sa.Date(), nullable=True))
    op.add_column('assessment', sa.Column('missing_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    op.add_column('patient_identity', sa.Column('birth_date', sa.Date(), nullable=True))
    op.add_column('patient_identity', sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.add_column('patient_identity', sa.Column('phone_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
    op.add_column('procedure', sa.Column('deviation_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    op.create_index(op.f('ix_patient_identity_name_key'), 'patient_identity', ['name_key'], unique=False)
    op.create_index(op.f('ix_patient_identity_phone_key'), 'patient_identity', ['phone_key'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        for table, column, length in GUARDS:
            add_length_guard(table, column, length)
    bind = op.get_bind()
    keys = [{"n": _name_key(name), "p": _phone_key(phone), "i": id_}
            for id_, name, phone in bind.execute(
                sa.text("SELECT id, name, phone FROM patient_identity")).all()]
    if keys:
        bind.execute(sa.text("UPDATE patient_identity SET name_key = :n, phone_key = :p "
                             "WHERE id = :i"), keys)
    day = ("date(completed_at)" if bind.dialect.name == 'sqlite'
           else "(completed_at AT TIME ZONE 'UTC')::date")
    op.execute(f"UPDATE assessment SET visit_on = {day} WHERE completed_at IS NOT NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for table, column, _length in GUARDS:
            drop_guard(f'ck_{table}_{column}_length')
    op.drop_index(op.f('ix_patient_identity_phone_key'), table_name='patient_identity')
    op.drop_index(op.f('ix_patient_identity_name_key'), table_name='patient_identity')
    with op.batch_alter_table('procedure', schema=None) as batch_op:
        batch_op.drop_column('deviation_reason')
    with op.batch_alter_table('patient_identity', schema=None) as batch_op:
        batch_op.drop_column('phone_key')
        batch_op.drop_column('name_key')
        batch_op.drop_column('birth_date')
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_column('missing_reason')
        batch_op.drop_column('visit_on')
