"""The triggers that keep ``visit_tally`` (clinic.models.tally) in step with the visits.

Every change that moves a visit between tally keys appends a -1 row for the old key and
a +1 row for the new one, in the same transaction:

* ``assessment`` inserted, deleted, or updated in its state, window dates, timepoint or
  patient;
* ``patient`` moved to another site or study: all its visits move;
* ``enrollment`` inserted, deleted, or given another arm (or patient): all the patient's
  visits move between arms (no enrollment counts as no group).

SQLite gets plain triggers; PostgreSQL gets one PL/pgSQL function per table. A SQLite
batch migration that rebuilds one of these tables drops its triggers: such a migration
must call ``create_tally_triggers`` again (tests/scale/test_tally.py checks the sums
against the visits after every migration).
"""

from __future__ import annotations

from collections.abc import Iterator

COLUMNS = ("study_id, site_id, arm_id, timepoint_id, state, window_open, target_date, "
           "window_close, n")
NO_ARM = "CAST(NULL AS INTEGER)"
VISIT_CHANGE = ("state", "window_open", "target_date", "window_close", "timepoint_id",
                "patient_id")


def _visit(row: str, sign: int) -> str:
    """A SELECT giving the tally row of one visit (``row``: NEW or OLD)."""
    return (f"SELECT p.study_id, p.site_id, e.arm_id, {row}.timepoint_id, {row}.state, "
            f"{row}.window_open, {row}.target_date, {row}.window_close, {sign} "
            f"FROM patient p LEFT JOIN enrollment e ON e.patient_id = p.id "
            f"WHERE p.id = {row}.patient_id")


def _patient_visits(patient: str, study: str, site: str, arm: str, sign: int) -> str:
    """A SELECT giving the tally rows of all of one patient's visits, under a given
    study, site and arm (SQL expressions)."""
    return (f"SELECT {study}, {site}, {arm}, a.timepoint_id, a.state, a.window_open, "
            f"a.target_date, a.window_close, {sign} FROM assessment a "
            f"WHERE a.patient_id = {patient}")


def _arm_of(patient: str) -> str:
    return f"(SELECT e.arm_id FROM enrollment e WHERE e.patient_id = {patient})"


def _insert(select: str) -> str:
    # WHERE true: SQLite's parser needs it before a trigger's INSERT … SELECT ends
    return f"INSERT INTO visit_tally ({COLUMNS}) SELECT * FROM ({select}) AS moved WHERE true"


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


def _pg_changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)


def _moves() -> dict[str, dict[str, list[str]]]:
    """table -> event -> the INSERTs that event runs (engine-neutral SQL)."""
    patient_old = _patient_visits("OLD.id", "OLD.study_id", "OLD.site_id", _arm_of("OLD.id"), -1)
    patient_new = _patient_visits("NEW.id", "NEW.study_id", "NEW.site_id", _arm_of("NEW.id"), 1)

    def arm_move(row: str, arm: str, sign: int) -> str:
        return _insert(f"SELECT p.study_id, p.site_id, {arm}, a.timepoint_id, a.state, "
                       f"a.window_open, a.target_date, a.window_close, {sign} "
                       f"FROM assessment a JOIN patient p ON p.id = a.patient_id "
                       f"WHERE a.patient_id = {row}.patient_id")

    return {
        "assessment": {
            "INSERT": [_insert(_visit("NEW", 1))],
            "DELETE": [_insert(_visit("OLD", -1))],
            "UPDATE": [_insert(_visit("OLD", -1)), _insert(_visit("NEW", 1))],
        },
        "patient": {"UPDATE": [_insert(patient_old), _insert(patient_new)]},
        "enrollment": {
            # the visits were counted with no group (no enrollment row) until now
            "INSERT": [arm_move("NEW", NO_ARM, -1), arm_move("NEW", "NEW.arm_id", 1)],
            "DELETE": [arm_move("OLD", "OLD.arm_id", -1), arm_move("OLD", NO_ARM, 1)],
            "UPDATE": [arm_move("OLD", "OLD.arm_id", -1), arm_move("NEW", "NEW.arm_id", 1)],
        },
    }


WATCHED = {"assessment": VISIT_CHANGE, "patient": ("site_id", "study_id"),
           "enrollment": ("arm_id", "patient_id")}


def sqlite_statements() -> Iterator[str]:
    return sqlite_triggers("tally", _moves(), WATCHED)


def postgresql_statements() -> Iterator[str]:
    return postgresql_triggers("tally", _moves(), WATCHED)


def drop_statements(dialect: str) -> Iterator[str]:
    return drop_triggers("tally", _moves(), dialect)


Moves = dict[str, dict[str, list[str]]]  # table -> event -> the INSERTs that event runs


def sqlite_triggers(prefix: str, moves: Moves,
                    watched: dict[str, tuple[str, ...]]) -> Iterator[str]:
    """One SQLite trigger per table and event, ``<prefix>_<table>_<event>``; an UPDATE
    trigger fires only when a ``watched`` column changed."""
    for table, events in moves.items():
        for event, inserts in events.items():
            on, when = event, ""
            if event == "UPDATE":
                on = f"UPDATE OF {', '.join(watched[table])}"
                when = f" WHEN {_changed(watched[table])}"
            yield (f"CREATE TRIGGER IF NOT EXISTS {prefix}_{table}_{event.lower()} "
                   f'AFTER {on} ON "{table}" FOR EACH ROW{when} BEGIN {"; ".join(inserts)}; END')


def postgresql_triggers(prefix: str, moves: Moves,
                        watched: dict[str, tuple[str, ...]]) -> Iterator[str]:
    """One PL/pgSQL function and trigger per table, ``<prefix>_<table>``."""
    for table, events in moves.items():
        branches = []
        for event, inserts in events.items():
            condition = f"TG_OP = '{event}'"
            if event == "UPDATE":
                condition += f" AND ({_pg_changed(watched[table])})"
            branches.append(f"IF {condition} THEN {'; '.join(inserts)}; END IF;")
        function = f"{prefix}_{table}"
        yield (f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
               f"$$ BEGIN {' '.join(branches)} RETURN NULL; END $$")
        yield (f'CREATE TRIGGER {function} AFTER {" OR ".join(events)} ON "{table}" '
               f"FOR EACH ROW EXECUTE FUNCTION {function}()")


def drop_triggers(prefix: str, moves: Moves, dialect: str) -> Iterator[str]:
    for table, events in moves.items():
        if dialect == "sqlite":
            for event in events:
                yield f"DROP TRIGGER IF EXISTS {prefix}_{table}_{event.lower()}"
        else:
            yield f'DROP TRIGGER IF EXISTS {prefix}_{table} ON "{table}"'
            yield f"DROP FUNCTION IF EXISTS {prefix}_{table}()"


BACKFILL = (f"INSERT INTO visit_tally ({COLUMNS}) "
            "SELECT p.study_id, p.site_id, e.arm_id, a.timepoint_id, a.state, a.window_open, "
            "a.target_date, a.window_close, count(*) FROM assessment a "
            "JOIN patient p ON p.id = a.patient_id "
            "LEFT JOIN enrollment e ON e.patient_id = p.id "
            "GROUP BY p.study_id, p.site_id, e.arm_id, a.timepoint_id, a.state, a.window_open, "
            "a.target_date, a.window_close")


def create_tally_triggers(execute: object, dialect: str) -> None:
    """Run the CREATE statements with ``execute`` (e.g. ``op.execute``)."""
    statements = sqlite_statements() if dialect == "sqlite" else postgresql_statements()
    for sql in statements:
        execute(sql)  # type: ignore[operator]
