"""patients report their own follow-ups: ladder messages, answers so far, page events;
self-report consent and language per patient; the ladder per study

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:15:42

``self_report_message`` rows are delivered like reminders and logged in
``delivery_attempt`` (new ``invitation_id``; the one-source CHECK now counts three
sources, so SQLite rebuilds that table, which nothing references). ``patient_identity``
and ``study`` get plain ADD COLUMNs with defaults (SQLite must not rebuild them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import clinic.models.base
from clinic.migrations.sqlite_guards import add_guard, add_length_guard, drop_guard

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# as clinic.models.reminders and clinic.catalog, frozen here
ONE_SOURCE = ("(CASE WHEN reminder_id IS NULL THEN 0 ELSE 1 END"
              " + CASE WHEN digest_id IS NULL THEN 0 ELSE 1 END"
              " + CASE WHEN invitation_id IS NULL THEN 0 ELSE 1 END) = 1")
CHANNELS = "channel IN ('nurse_digest', 'patient_visit', 'self_report')"
OLD_CHANNELS = "channel IN ('nurse_digest', 'patient_visit')"
LANGUAGES = "'en', 'es'"
GUARDS = (('patient_identity', 'language', 5), ('self_report_message', 'state', 20),
          ('self_report_message', 'last_error', 1000), ('self_report_message', 'note', 300),
          ('self_report_message', 'claim_token', 40), ('self_report_message', 'token_hash', 64),
          ('self_report_event', 'kind', 20), ('self_report_event', 'address', 45))
# SQLite drops a table's triggers with the table: delivery_attempt's (0006) come back
REBUILT = (('delivery_attempt', 'channel', 20), ('delivery_attempt', 'recipient', 254),
           ('delivery_attempt', 'subject', 300), ('delivery_attempt', 'message_id', 200),
           ('delivery_attempt', 'outcome', 20), ('delivery_attempt', 'error', 1000))


def upgrade() -> None:
    op.create_table('self_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=True),
    sa.Column('opened_at', clinic.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_seen_at', clinic.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', clinic.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', clinic.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_checks', sa.Integer(), nullable=False),
    sa.Column('locked_until', clinic.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('failed_checks >= 0', name=op.f('ck_self_report_failed_checks_non_negative')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_self_report_assessment_id_assessment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_self_report')),
    sa.UniqueConstraint('assessment_id', name=op.f('uq_self_report_assessment_id'))
    )
    op.create_table('self_report_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('send_on', sa.Date(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', clinic.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('claim_token', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('claimed_at', clinic.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', clinic.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('opened_at', clinic.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', clinic.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state <> 'sending' OR claim_token IS NOT NULL", name=op.f('ck_self_report_message_sending_claimed')),
    sa.CheckConstraint("state <> 'sent' OR sent_at IS NOT NULL", name=op.f('ck_self_report_message_sent_has_time')),
    sa.CheckConstraint("state IN ('cancelled', 'failed', 'pending', 'sending', 'sent', 'unknown')", name=op.f('ck_self_report_message_state_known')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_self_report_message_attempts_non_negative')),
    sa.CheckConstraint('step >= 0', name=op.f('ck_self_report_message_step_non_negative')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_self_report_message_assessment_id_assessment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_self_report_message')),
    sa.UniqueConstraint('assessment_id', 'step', name=op.f('uq_self_report_message_assessment_id_step')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_self_report_message_token_hash'))
    )
    with op.batch_alter_table('self_report_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_self_report_message_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_self_report_message_send_on'), ['send_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_self_report_message_state'), ['state'], unique=False)

    op.create_table('self_report_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('at', clinic.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=True),
    sa.CheckConstraint("kind IN ('check_failed', 'locked', 'opened', 'refused', 'started', 'submitted')", name=op.f('ck_self_report_event_kind_known')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_self_report_event_assessment_id_assessment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['self_report_message.id'], name=op.f('fk_self_report_event_message_id_self_report_message'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_self_report_event'))
    )
    with op.batch_alter_table('self_report_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_self_report_event_assessment_id'), ['assessment_id'], unique=False)

    with op.batch_alter_table('delivery_attempt', schema=None, recreate='always') as batch_op:
        batch_op.add_column(sa.Column('invitation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_delivery_attempt_invitation_id'), ['invitation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_delivery_attempt_invitation_id_self_report_message'), 'self_report_message', ['invitation_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_constraint(batch_op.f('ck_delivery_attempt_one_source'), type_='check')
        batch_op.create_check_constraint('one_source', sa.text(ONE_SOURCE))
        batch_op.drop_constraint(batch_op.f('ck_delivery_attempt_channel_known'), type_='check')
        batch_op.create_check_constraint('channel_known', sa.text(CHANNELS))

    false = sa.text('false') if op.get_bind().dialect.name == 'postgresql' else sa.text('0')
    op.add_column('patient_identity', sa.Column('self_report_consent', sa.Boolean(), nullable=False, server_default=false))
    op.add_column('patient_identity', sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False, server_default='en'))
    op.add_column('study', sa.Column('self_report', sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        for table, column, length in (*GUARDS, *REBUILT):
            add_length_guard(table, column, length)
        add_guard('ck_patient_identity_language_known', 'patient_identity', 'language',
                  f'NEW.language NOT IN ({LANGUAGES})')
    else:
        op.create_check_constraint('language_known', 'patient_identity',
                                   f'language IN ({LANGUAGES})')



def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        drop_guard('ck_patient_identity_language_known')
        for table, column, _length in GUARDS:
            drop_guard(f'ck_{table}_{column}_length')
    else:
        op.drop_constraint('language_known', 'patient_identity', type_='check')
    with op.batch_alter_table('study', schema=None) as batch_op:
        batch_op.drop_column('self_report')
    with op.batch_alter_table('patient_identity', schema=None) as batch_op:
        batch_op.drop_column('language')
        batch_op.drop_column('self_report_consent')
    op.execute("DELETE FROM delivery_attempt WHERE invitation_id IS NOT NULL")
    with op.batch_alter_table('delivery_attempt', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_delivery_attempt_one_source'), type_='check')
        batch_op.create_check_constraint('one_source', sa.text('(reminder_id IS NULL) <> (digest_id IS NULL)'))
        batch_op.drop_constraint(batch_op.f('ck_delivery_attempt_channel_known'), type_='check')
        batch_op.create_check_constraint('channel_known', sa.text(OLD_CHANNELS))
        batch_op.drop_constraint(batch_op.f('fk_delivery_attempt_invitation_id_self_report_message'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_delivery_attempt_invitation_id'))
        batch_op.drop_column('invitation_id')
    if op.get_bind().dialect.name == 'sqlite':
        for table, column, length in REBUILT:
            add_length_guard(table, column, length)

    with op.batch_alter_table('self_report_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_self_report_event_assessment_id'))

    op.drop_table('self_report_event')
    with op.batch_alter_table('self_report_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_self_report_message_state'))
        batch_op.drop_index(batch_op.f('ix_self_report_message_send_on'))
        batch_op.drop_index(batch_op.f('ix_self_report_message_assessment_id'))

    op.drop_table('self_report_message')
    op.drop_table('self_report')
