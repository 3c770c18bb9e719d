"""accounts, sessions and security events; bounds on every stored value

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 06:39:51

Accounts: server-side sessions, security events, one-time password-reset links, forms
kept across a log-in, lockout and second-factor columns on app_user, an expiry on API
tokens (existing tokens expire 90 days after this migration), a version on
patient_identity, and identity_audit_event for the values of identity changes.

Bounds: every text column gets its length enforced on SQLite too (PostgreSQL enforces
VARCHAR lengths), and numbers their plausible range (catalog.NUMBER_BOUNDS): CHECK
constraints on PostgreSQL (NOT VALID: existing rows are reported, not rewritten),
triggers on SQLite (see clinic/migrations/sqlite_guards.py).
"""

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

import clinic.models.base
from clinic.migrations.sqlite_guards import add_guard, add_length_guard, add_range_guard, drop_guard

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('form_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=True),
    sa.Column('created_at', clinic.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_form_draft_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_draft')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_form_draft_key_hash'))
    )
    with op.batch_alter_table('form_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_draft_user_id'), ['user_id'], unique=False)

    op.create_table('identity_audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', clinic.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('old_value', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('new_value', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_identity_audit_event_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_audit_event'))
    )
    with op.batch_alter_table('identity_audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_audit_event_patient_id'), ['patient_id'], unique=False)

    op.create_table('password_reset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', clinic.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', clinic.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', clinic.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_password_reset_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_password_reset_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_reset_token_hash'))
    )
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_user_id'), ['user_id'], unique=False)

    op.create_table('security_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', clinic.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=True),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.CheckConstraint("kind IN ('locked', 'login', 'login_failed', 'logout', 'password_changed', 'password_reset_issued', 'password_reset_used', 'session_expired', 'sessions_ended', 'throttled', 'token_created', 'token_revoked', 'totp_disabled', 'totp_enabled', 'totp_failed', 'unlocked', 'user_changed', 'user_created', 'user_deactivated', 'user_reactivated')", name=op.f('ck_security_event_kind_known')),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_security_event_actor_id_app_user')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_security_event_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_event'))
    )
    with op.batch_alter_table('security_event', schema=None) as batch_op:
        batch_op.create_index('ix_security_event_address_at', ['address', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_event_at'), ['at'], unique=False)
        batch_op.create_index('ix_security_event_email_at', ['email', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_event_user_id'), ['user_id'], unique=False)

    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', clinic.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', clinic.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', clinic.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=True),
    sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_session_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)

    _token_expiry()
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_used_at', clinic.models.base.UTCDateTime(timezone=True), nullable=True))

    false, zero, one = sa.text('false'), sa.text('0'), sa.text('1')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=false))
        batch_op.add_column(sa.Column('password_changed_at', clinic.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default=zero))
        batch_op.add_column(sa.Column('locked_until', clinic.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('lockouts', sa.Integer(), nullable=False, server_default=zero))
        batch_op.add_column(sa.Column('totp_secret', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', clinic.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default=one))

    with op.batch_alter_table('patient_identity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default=one))

    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_guards()
    else:
        _postgresql_checks()
    _report_values_out_of_bounds()


TOKEN_GRACE = timedelta(days=90)

# Bounded text columns of every table as of this revision (SQLite triggers).
LENGTHS: dict[str, list[tuple[str, int]]] = {
    'adverse_event': [('event_type', 40), ('severity', 20), ('notes', 2000)],
    'allocation_slot': [('stratum', 60)],
    'api_token': [('name', 100), ('token_hash', 64), ('prefix', 12)],
    'app_user': [('email', 254), ('name', 200), ('role', 20), ('password_hash', 300), ('totp_secret', 64)],
    'assessment': [('state', 20), ('not_done_reason', 500), ('mode', 20)],
    'audit_event': [('entity', 40), ('action', 10), ('field', 60), ('reason', 500), ('parent_entity', 40)],
    'delivery_attempt': [('channel', 20), ('recipient', 254), ('subject', 300), ('message_id', 200), ('outcome', 20), ('error', 1000)],
    'eligibility_criterion': [('code', 40), ('kind', 20), ('text', 500)],
    'enrollment': [('stratum', 60), ('status', 20), ('withdrawal_reason', 500)],
    'form_draft': [('key_hash', 64), ('path', 300)],
    'identity_audit_event': [('entity', 40), ('action', 10), ('field', 60), ('reason', 500)],
    'injectate': [('drug', 40)],
    'medication': [('med_class', 20), ('drug', 60)],
    'nurse_digest': [('state', 20), ('last_error', 1000), ('summary', 300), ('note', 300), ('claim_token', 40)],
    'password_reset': [('token_hash', 64)],
    'patient': [('study_code', 30), ('sex', 10), ('diagnosis', 300)],
    'patient_identity': [('name', 200), ('mrn', 50), ('phone', 40), ('email', 254)],
    'procedure': [('modality', 20), ('procedure_type', 30), ('notes', 2000)],
    'procedure_target': [('level', 10), ('side', 10)],
    'reminder': [('kind', 20), ('state', 20), ('last_error', 1000), ('note', 300), ('claim_token', 40)],
    'root_laterality': [('root', 10), ('laterality', 20)],
    'scheduler_lease': [('name', 40), ('holder', 120)],
    'score': [('instrument', 40), ('not_computable_reason', 300), ('mode', 20)],
    'security_event': [('kind', 30), ('email', 254), ('address', 45), ('detail', 300)],
    'site': [('code', 20), ('name', 200)],
    'study': [('code', 20), ('title', 300), ('design', 300), ('status', 20)],
    'study_arm': [('code', 20), ('label', 200), ('modality', 20)],
    'study_measure': [('instrument', 40)],
    'study_timepoint': [('code', 20), ('label', 100)],
    'user_session': [('token_hash', 64), ('end_reason', 40), ('address', 45), ('user_agent', 200)],
}

# (table, column, low, high): catalog.NUMBER_BOUNDS as of this revision.
RANGES: list[tuple[str, str, float, float]] = [
    ('patient', 'symptom_duration_months', 0, 1200),
    ('procedure', 'contrast_volume_ml', 0, 500),
    ('procedure', 'rf_frequency_hz', 0, 1000),
    ('procedure', 'rf_pulse_width_ms', 0, 1000),
    ('procedure', 'rf_duration_s', 0, 3600),
    ('procedure', 'dap_mgy_cm2', 0, 10_000_000),
    ('procedure', 'fluoroscopy_time_s', 0, 36_000),
    ('procedure', 'ctdivol_mgy', 0, 1000),
    ('procedure', 'dlp_mgy_cm', 0, 100_000),
    ('procedure', 'operative_time_min', 0, 1440),
    ('procedure', 'needle_repositions', 0, 100),
    ('injectate', 'volume_ml', 0, 200),
    ('injectate', 'dose_mg', 0, 10_000),
    ('medication', 'daily_dose_mg', 0, 100_000),
    ('study', 'steroid_cap_mg', 0, 10_000),
]
SCORE_MAXIMA = {'ome': 100_000, 'gabapentin': 20_000}
OLD_SCORE_CHECK = (
    "(instrument = 'gabapentin' AND value >= 0) OR (instrument = 'ndi' AND value >= 0 AND value <= 100) "
    "OR (instrument = 'nrs' AND value >= 0 AND value <= 10) OR (instrument = 'nsaid_reduction' AND value >= 0 AND value <= 100) "
    "OR (instrument = 'odi' AND value >= 0 AND value <= 100) OR (instrument = 'ome' AND value >= 0) "
    "OR (instrument = 'satisfaction_procedure' AND value >= 1 AND value <= 4 AND value = ROUND(value)) "
    "OR (instrument = 'satisfaction_results' AND value >= 1 AND value <= 4 AND value = ROUND(value)) "
    "OR (instrument = 'vas' AND value >= 0 AND value <= 10) OR (value IS NULL AND instrument IN ('ndi', 'odi'))")
log = logging.getLogger('alembic.runtime.migration')


def _token_expiry() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', clinic.models.base.UTCDateTime(timezone=True), nullable=True))
    table = sa.table('api_token', sa.column('expires_at', clinic.models.base.UTCDateTime(timezone=True)))
    op.execute(table.update().values(expires_at=datetime.now(UTC) + TOKEN_GRACE))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=clinic.models.base.UTCDateTime(timezone=True),
                              nullable=False)


def _sqlite_guards() -> None:
    for table, columns in LENGTHS.items():
        for column, length in columns:
            add_length_guard(table, column, length)
    for table, column, low, high in RANGES:
        add_range_guard(table, column, low, high)
    add_guard('ck_patient_birth_year_max', 'patient', 'birth_year',
              'NEW.birth_year IS NOT NULL AND NEW.birth_year > 2100')
    too_high = ' OR '.join(f"(NEW.instrument = '{code}' AND NEW.value > {high})"
                           for code, high in SCORE_MAXIMA.items())
    add_guard('ck_score_value_max', 'score', 'instrument, value', f'({too_high})')


def _postgresql_checks() -> None:
    """Added NOT VALID (no table scan, no failure on old rows), then validated where the
    existing rows satisfy them, which is every database without values out of bounds."""
    added = [(table, f'ck_{table}_{column}_range',
              f'{column} IS NULL OR ({column} >= {low:g} AND {column} <= {high:g})')
             for table, column, low, high in RANGES]
    added.append(('patient', 'ck_patient_birth_year_max', 'birth_year IS NULL OR birth_year <= 2100'))
    op.execute('ALTER TABLE score DROP CONSTRAINT ck_score_value_in_range')
    added.append(('score', 'ck_score_value_in_range', _score_check()))
    bind = op.get_bind()
    for table, name, condition in added:
        op.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT {name} CHECK ({condition}) NOT VALID')
        breaking = bind.execute(sa.text(f'SELECT count(*) FROM "{table}" WHERE NOT ({condition})')).scalar()
        if not breaking:
            op.execute(f'ALTER TABLE "{table}" VALIDATE CONSTRAINT {name}')


def _score_check() -> str:
    text = OLD_SCORE_CHECK
    for code, high in SCORE_MAXIMA.items():
        text = text.replace(f"(instrument = '{code}' AND value >= 0)",
                            f"(instrument = '{code}' AND value >= 0 AND value <= {high})")
    return text


def _report_values_out_of_bounds() -> None:
    """Rows stored before the bounds existed are kept as they are and named here."""
    bind = op.get_bind()
    for table, column, low, high in RANGES:
        count = bind.execute(sa.text(f'SELECT count(*) FROM "{table}" WHERE {column} < {low:g} '
                                     f'OR {column} > {high:g}')).scalar()
        if count:
            log.warning('%s.%s: %s stored value(s) outside %g..%g; correct them with a '
                        'reason (they are kept as they are).', table, column, count, low, high)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for table, columns in LENGTHS.items():
            for column, _length in columns:
                drop_guard(f'ck_{table}_{column}_length')
        for table, column, _low, _high in RANGES:
            drop_guard(f'ck_{table}_{column}_range')
        drop_guard('ck_patient_birth_year_max')
        drop_guard('ck_score_value_max')
    else:
        for table, column, _low, _high in RANGES:
            op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT ck_{table}_{column}_range')
        op.execute('ALTER TABLE patient DROP CONSTRAINT ck_patient_birth_year_max')
        op.execute('ALTER TABLE score DROP CONSTRAINT ck_score_value_in_range')
        op.execute(f'ALTER TABLE score ADD CONSTRAINT ck_score_value_in_range CHECK ({OLD_SCORE_CHECK})')
    with op.batch_alter_table('patient_identity', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('lockouts')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('must_change_password')

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('expires_at')

    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))

    op.drop_table('user_session')
    with op.batch_alter_table('security_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_security_event_user_id'))
        batch_op.drop_index('ix_security_event_email_at')
        batch_op.drop_index(batch_op.f('ix_security_event_at'))
        batch_op.drop_index('ix_security_event_address_at')

    op.drop_table('security_event')
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_user_id'))

    op.drop_table('password_reset')
    with op.batch_alter_table('identity_audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_audit_event_patient_id'))

    op.drop_table('identity_audit_event')
    with op.batch_alter_table('form_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_draft_user_id'))

    op.drop_table('form_draft')
