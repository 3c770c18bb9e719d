"""study.measures_revision: drawn anew by a trigger at every change of a study's measures

A follow-up save asked the database for its study's measure rules (which instruments
the visit collects) on every request: a round trip of ten. The rules change with the
protocol only, so a process keeps them, under the study's ``measures_revision``, which
the follow-up's own first query reads with the visit. The database draws a new one at
every INSERT, UPDATE and DELETE of ``study_measure`` (a trigger, so no writer can forget
it, the ORM's or a script's), in the writer's own transaction: a change rolled back
leaves it as it was. A random 64-bit number, not a counter: a database restored from an
older copy, or another database under the same process (tests), cannot bring back a
revision a process keeps other rules under. 0: the study never had a measure (the
upgrade draws one for every study that has measures).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_DRAW = "UPDATE study SET measures_revision = random() WHERE id"
POSTGRESQL_DRAW = ("UPDATE study SET measures_revision = (random() * 9.2e18)::bigint "
                   "WHERE id")
SQLITE_TRIGGERS = {"ins": ("INSERT", "= NEW.study_id"),
                   "upd": ("UPDATE", "IN (OLD.study_id, NEW.study_id)"),
                   "del": ("DELETE", "= OLD.study_id")}


def upgrade() -> None:
    op.add_column('study', sa.Column('measures_revision', sa.BigInteger(), nullable=False,
                                     server_default='0'))
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.execute(f"{SQLITE_DRAW if sqlite else POSTGRESQL_DRAW} IN "
               "(SELECT study_id FROM study_measure)")
    if sqlite:
        for suffix, (event, which) in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER study_measures_revision_{suffix} AFTER {event} ON "
                       f"study_measure FOR EACH ROW BEGIN {SQLITE_DRAW} {which}; END")
        return
    op.execute(f"""CREATE FUNCTION study_measures_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN {POSTGRESQL_DRAW} = NEW.study_id;
  ELSIF TG_OP = 'DELETE' THEN {POSTGRESQL_DRAW} = OLD.study_id;
  ELSE {POSTGRESQL_DRAW} IN (OLD.study_id, NEW.study_id);
  END IF;
  RETURN NULL;
END $$""")
    op.execute("CREATE TRIGGER study_measures_revision AFTER INSERT OR UPDATE OR DELETE ON "
               "study_measure FOR EACH ROW EXECUTE FUNCTION study_measures_changed()")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for suffix in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS study_measures_revision_{suffix}")
    else:
        op.execute("DROP TRIGGER IF EXISTS study_measures_revision ON study_measure")
        op.execute("DROP FUNCTION IF EXISTS study_measures_changed()")
    # (in place: SQLite 3.35+ drops a plain column without rebuilding the table, which
    # the foreign keys into study would refuse)
    op.execute("ALTER TABLE study DROP COLUMN measures_revision")
