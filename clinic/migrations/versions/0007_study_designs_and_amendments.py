"""study designs (randomized, registry), consent at enrollment, protocol amendments

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 08:00:00

Studies get a design type, the current consent form version, matching settings
(registry) and a protocol version; measures may apply to some strata only, report the
NRS/VAS response categories, and remember when an amendment added them. Enrollment
records informed consent; its arm may be empty (a registry patient before the index
procedure). SQLite cannot drop NOT NULL in place: ``enrollment`` is rebuilt, and its
length guards (triggers, migration 0006) are added again afterwards.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import clinic.models.base
from clinic.migrations.sqlite_guards import add_length_guard

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('protocol_amendment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('made_at', clinic.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('made_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['made_by_id'], ['app_user.id'], name=op.f('fk_protocol_amendment_made_by_id_app_user')),
    sa.ForeignKeyConstraint(['study_id'], ['study.id'], name=op.f('fk_protocol_amendment_study_id_study')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protocol_amendment')),
    sa.UniqueConstraint('study_id', 'number', name=op.f('uq_protocol_amendment_study_id_number'))
    )
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        for column, length in (('reason', 500), ('summary', 2000)):
            add_length_guard('protocol_amendment', column, length)
    with op.batch_alter_table('protocol_amendment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protocol_amendment_study_id'), ['study_id'], unique=False)

    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('consent_version', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('consent_taken_by_id', sa.Integer(), nullable=True))
        batch_op.alter_column('arm_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_enrollment_consent_taken_by_id_app_user'), 'app_user', ['consent_taken_by_id'], ['id'])

    if sqlite:
        for column, length in (('stratum', 60), ('status', 20), ('withdrawal_reason', 500),
                               ('consent_version', 40)):
            add_length_guard('enrollment', column, length)

    # Plain ADD COLUMN (no batch): SQLite must not rebuild ``study``, which other tables
    # reference (dropping the old table would fail, or cascade, on a filled database).
    op.add_column('study', sa.Column('design_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default='randomized'))
    op.add_column('study', sa.Column('consent_version', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
    op.add_column('study', sa.Column('matching', sa.JSON(), nullable=True))
    op.add_column('study', sa.Column('protocol_version', sa.Integer(), nullable=False, server_default=sa.text('1')))
    if sqlite:
        add_length_guard('study', 'consent_version', 40)
        add_length_guard('study', 'design_type', 20)
        op.execute("CREATE TRIGGER IF NOT EXISTS ck_study_design_type_known_ins BEFORE INSERT ON study "
                   "FOR EACH ROW WHEN NEW.design_type NOT IN ('randomized', 'registry') "
                   "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_study_design_type_known'); END")
        op.execute("CREATE TRIGGER IF NOT EXISTS ck_study_design_type_known_upd BEFORE UPDATE OF design_type ON study "
                   "FOR EACH ROW WHEN NEW.design_type NOT IN ('randomized', 'registry') "
                   "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_study_design_type_known'); END")
    else:
        op.create_check_constraint('ck_study_design_type_known', 'study',
                                   "design_type IN ('randomized', 'registry')")

    op.add_column('study_measure', sa.Column('strata', sa.JSON(), nullable=True))
    op.add_column('study_measure', sa.Column('response_categories', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('study_measure', sa.Column('added_at', sa.JSON(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for trigger in ('ck_study_design_type_known', 'ck_study_consent_version_length',
                        'ck_study_design_type_length',
                        'ck_protocol_amendment_reason_length',
                        'ck_protocol_amendment_summary_length',
                        'ck_enrollment_consent_version_length'):
            for suffix in ('ins', 'upd'):
                op.execute(f'DROP TRIGGER IF EXISTS {trigger}_{suffix}')
    else:
        op.drop_constraint('ck_study_design_type_known', 'study', type_='check')
    with op.batch_alter_table('study_measure', schema=None) as batch_op:
        batch_op.drop_column('added_at')
        batch_op.drop_column('response_categories')
        batch_op.drop_column('strata')

    with op.batch_alter_table('study', schema=None) as batch_op:
        batch_op.drop_column('protocol_version')
        batch_op.drop_column('matching')
        batch_op.drop_column('consent_version')
        batch_op.drop_column('design_type')

    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_enrollment_consent_taken_by_id_app_user'), type_='foreignkey')
        batch_op.alter_column('arm_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('consent_taken_by_id')
        batch_op.drop_column('consent_version')
        batch_op.drop_column('consent_on')

    with op.batch_alter_table('protocol_amendment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protocol_amendment_study_id'))

    op.drop_table('protocol_amendment')
