"""the audit trail is append-only in the database

An audit event may be written once and sealed once (clinic.audit.chain gives it its
sequence number and hashes); nothing else may change or remove it. Until now the hash
chain *found* an event changed or removed after its seal, and an event committed but
not sealed yet (up to a minute) was not protected at all. Triggers on both engines now
refuse, in the database itself, every DELETE of an audit event and every UPDATE other
than the seal (``seq``, ``prev_hash``, ``row_hash`` set once, from empty, with every
other column unchanged). An event is inserted unsealed: an INSERT that carries a seal
is refused, and on SQLite so is one that reuses an event's id (``INSERT OR REPLACE``
deletes the old row without running DELETE triggers). Someone able to drop the
triggers can still edit the table;
the chain then names what changed. A later migration that must rewrite audit rows has
to drop the triggers and create them again (``drop_guards`` / ``create_guards``).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 08:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEAL = ("seq", "prev_hash", "row_hash")
# the columns as they stand at this revision, besides the seal's
GUARDED = {
    "audit_event": ("id", "occurred_at", "user_id", "entity", "entity_id", "action", "field",
                    "old_value", "new_value", "reason", "parent_entity", "parent_id"),
    "identity_audit_event": ("id", "occurred_at", "user_id", "entity", "entity_id",
                             "patient_id", "action", "field", "old_value", "new_value",
                             "reason"),
}
MESSAGE = "audit events are append-only: written once, sealed once, never changed or removed"


def upgrade() -> None:
    create_guards(op.get_bind().dialect.name)


def downgrade() -> None:
    drop_guards(op.get_bind().dialect.name)


def create_guards(dialect: str) -> None:
    for table, columns in GUARDED.items():
        for statement in (_pg_guard(table, columns) if dialect == "postgresql"
                          else _sqlite_triggers(table, columns)):
            op.execute(statement)


def drop_guards(dialect: str) -> None:
    for table in GUARDED:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_only_sealed")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_insert_unsealed")


def _pg_guard(table: str, columns: tuple[str, ...]) -> list[str]:
    """A function per table naming its columns (comparing whole rows as JSON made the
    seal a fifth slower; column by column, the difference is within the noise)."""
    same = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in columns)
    return [f"""
CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.seq IS NULL AND NEW.prev_hash IS NULL AND NEW.row_hash IS NULL THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{MESSAGE} (an insert with a seal into {table})'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL AND {same} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{MESSAGE} (% of {table} id %)', lower(TG_OP), OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql""",
            f"CREATE TRIGGER {table}_append_only BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"]


def _sqlite_triggers(table: str, columns: tuple[str, ...]) -> list[str]:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
    return [
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        f"CREATE TRIGGER {table}_only_sealed BEFORE UPDATE ON {table} "
        f"WHEN OLD.seq IS NOT NULL OR NEW.seq IS NULL OR {changed} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        f"CREATE TRIGGER {table}_insert_unsealed BEFORE INSERT ON {table} "
        "WHEN NEW.seq IS NOT NULL OR NEW.prev_hash IS NOT NULL OR NEW.row_hash IS NOT NULL "
        f"OR EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    ]
