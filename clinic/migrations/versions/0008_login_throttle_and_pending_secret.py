"""login throttle for unknown e-mails, second-factor secret being set up kept server-side

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:00:00

Unknown e-mail addresses get the same failure count, lockout and doubling as accounts
(``login_throttle``), so that a lockout does not tell whether an account exists. The
second-factor secret being set up moves from the (signed, not encrypted) cookie to the
session row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import clinic.models.base
from clinic.migrations.sqlite_guards import add_length_guard, drop_guard

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('login_throttle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('lockouts', sa.Integer(), nullable=False),
    sa.Column('locked_until', clinic.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', clinic.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_throttle')),
    sa.UniqueConstraint('email', name=op.f('uq_login_throttle_email'))
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttle_updated_at'), ['updated_at'], unique=False)
    # Plain ADD COLUMN: SQLite must not rebuild a table other tables reference.
    op.add_column('user_session', sa.Column('pending_totp_secret', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        add_length_guard('login_throttle', 'email', 254)
        add_length_guard('user_session', 'pending_totp_secret', 64)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        drop_guard('ck_user_session_pending_totp_secret_length')
        drop_guard('ck_login_throttle_email_length')
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_column('pending_totp_secret')
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle_updated_at'))
    op.drop_table('login_throttle')
