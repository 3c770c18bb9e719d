"""study.capped_steroid: which steroid the study's cap per patient counts

``steroid_cap_mg`` counted methylprednisolone acetate only, the seed trial's capped
steroid ("as needed, not exceeding 80 mg per patient", beside 8 mg dexamethasone per
level, not capped), fixed in the code. ``capped_steroid`` (one of the catalog's steroid
codes) makes it the protocol's: a study may cap triamcinolone instead. Existing studies
get methylprednisolone acetate, the server default, so their cap keeps its meaning.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

from alembic import op

from clinic.migrations.sqlite_guards import add_length_guard, drop_guard

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# catalog.STEROIDS at this revision, in the order the model's CHECK lists them
STEROIDS = ('betamethasone', 'dexamethasone', 'methylprednisolone_acetate', 'triamcinolone')
DEFAULT = 'methylprednisolone_acetate'
LENGTH = 40


def upgrade() -> None:
    # ADD COLUMN with a named column CHECK, the same words on both engines: SQLite accepts
    # it without rebuilding ``study`` (which other tables reference, and whose primary key
    # 0028 gave AUTOINCREMENT), and keeps the table's guards
    listed = ', '.join(f"'{code}'" for code in STEROIDS)
    op.execute(f"ALTER TABLE study ADD COLUMN capped_steroid VARCHAR({LENGTH}) "
               f"DEFAULT '{DEFAULT}' NOT NULL CONSTRAINT ck_study_capped_steroid_known "
               f"CHECK (capped_steroid IN ({listed}))")
    if op.get_bind().dialect.name == 'sqlite':  # (SQLite ignores VARCHAR lengths)
        add_length_guard('study', 'capped_steroid', LENGTH)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':  # a trigger naming the column blocks its drop
        drop_guard('ck_study_capped_steroid_length')
    # both engines drop a column with its own CHECK (SQLite 3.35+: a CHECK that names
    # only the dropped column goes with it), in place
    op.execute("ALTER TABLE study DROP COLUMN capped_steroid")
