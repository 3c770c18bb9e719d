"""data queries, and the monitor role

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import clinic.models.base
from clinic.migrations.sqlite_guards import add_length_guard, drop_guard

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ROLES = "role IN ('admin', 'coordinator', 'nurse', 'physician')"
NEW_ROLES = "role IN ('admin', 'coordinator', 'monitor', 'nurse', 'physician')"
# SQLite keeps no VARCHAR length: triggers refuse over-long text (as since 0006)
LENGTHS = (('data_query', 'target_table', 20), ('data_query', 'field', 40),
           ('data_query', 'label', 200),
           ('data_query', 'value_when_raised', 200), ('data_query', 'text', 1000),
           ('data_query', 'status', 10), ('data_query', 'rule', 40),
           ('data_query', 'rule_key', 120), ('data_query_step', 'step', 10),
           ('data_query_step', 'text', 1000))


def upgrade() -> None:
    _roles(OLD_ROLES, NEW_ROLES)
    op.create_table(
        'data_query',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('study_id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=True),
        sa.Column('target_table', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('value_when_raised', sqlmodel.sql.sqltypes.AutoString(length=200),
                  nullable=True),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('rule_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column('raised_at', clinic.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('raised_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('answered', 'closed', 'open')",
                           name=op.f('ck_data_query_status_known')),
        sa.CheckConstraint("target_table IN ('assessment', 'patient', 'procedure', 'score', "
                           "'score_section')", name=op.f('ck_data_query_target_known')),
        sa.CheckConstraint('(rule IS NULL) = (rule_key IS NULL)',
                           name=op.f('ck_data_query_rule_has_key')),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'],
                                name=op.f('fk_data_query_assessment_id_assessment')),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'],
                                name=op.f('fk_data_query_patient_id_patient')),
        sa.ForeignKeyConstraint(['raised_by_id'], ['app_user.id'],
                                name=op.f('fk_data_query_raised_by_id_app_user')),
        sa.ForeignKeyConstraint(['study_id'], ['study.id'],
                                name=op.f('fk_data_query_study_id_study')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_query')),
        sa.UniqueConstraint('rule_key', name=op.f('uq_data_query_rule_key')),
    )
    op.create_index('ix_data_query_patient_status', 'data_query', ['patient_id', 'status'])
    op.create_index('ix_data_query_status_id', 'data_query', ['status', 'id'])
    op.create_index(op.f('ix_data_query_study_id'), 'data_query', ['study_id'])
    op.create_table(
        'data_query_step',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('query_id', sa.Integer(), nullable=False),
        sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('at', clinic.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("step IN ('answered', 'closed', 'raised', 'reopened')",
                           name=op.f('ck_data_query_step_step_known')),
        sa.ForeignKeyConstraint(['query_id'], ['data_query.id'],
                                name=op.f('fk_data_query_step_query_id_data_query'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'],
                                name=op.f('fk_data_query_step_user_id_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_query_step')),
    )
    op.create_index(op.f('ix_data_query_step_query_id'), 'data_query_step', ['query_id'])
    if op.get_bind().dialect.name == 'sqlite':
        for table, column, length in LENGTHS:
            add_length_guard(table, column, length)


def downgrade() -> None:
    monitors = op.get_bind().execute(
        sa.text("SELECT count(*) FROM app_user WHERE role = 'monitor'")).scalar()
    if monitors:
        raise RuntimeError(f"{monitors} monitor login(s) exist: change their role first.")
    if op.get_bind().dialect.name == 'sqlite':
        for table, column, _length in LENGTHS:
            drop_guard(f'ck_{table}_{column}_length')
    op.drop_index(op.f('ix_data_query_step_query_id'), table_name='data_query_step')
    op.drop_table('data_query_step')
    op.drop_index(op.f('ix_data_query_study_id'), table_name='data_query')
    op.drop_index('ix_data_query_status_id', table_name='data_query')
    op.drop_index('ix_data_query_patient_status', table_name='data_query')
    op.drop_table('data_query')
    _roles(NEW_ROLES, OLD_ROLES)


def _roles(old: str, new: str) -> None:
    """Change app_user's role CHECK. PostgreSQL: drop and add it. SQLite cannot alter a
    CHECK, and rebuilding app_user would trip every foreign key that points at it:
    the constraint's text is replaced in the schema instead, SQLite's documented way
    for a change that leaves the stored rows valid (sqlite.org/lang_altertable.html,
    section 7). Widening (upgrade) always is; the downgrade first refuses monitors."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        op.drop_constraint(op.f('ck_app_user_role_known'), 'app_user', type_='check')
        op.create_check_constraint(op.f('ck_app_user_role_known'), 'app_user', new)
        return
    schema = sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'app_user'")
    if old not in bind.execute(schema).scalar():
        raise RuntimeError(f"app_user's role constraint is not {old!r}: not changed.")
    version = bind.execute(sa.text('PRAGMA schema_version')).scalar()
    bind.execute(sa.text('PRAGMA writable_schema=ON'))
    bind.execute(sa.text("UPDATE sqlite_master SET sql = replace(sql, :old, :new) "
                         "WHERE type = 'table' AND name = 'app_user'"),
                 {'old': old, 'new': new})
    bind.execute(sa.text(f'PRAGMA schema_version={int(version) + 1}'))
    bind.execute(sa.text('PRAGMA writable_schema=OFF'))
