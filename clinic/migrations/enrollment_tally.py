"""The triggers that keep ``enrollment_tally`` (clinic.models.tally) in step with the
enrollments, as clinic/migrations/tally_triggers.py keeps the visit tallies: a -1 row
for the old key and a +1 row for the new one, in the same transaction, when

* an ``enrollment`` is inserted, deleted, or given another arm or patient;
* a ``patient`` moves to another site or study (its enrollment moves with it).

A SQLite batch migration that rebuilds ``enrollment`` or ``patient`` drops these
triggers: it must call ``create_enrollment_tally_triggers`` again
(tests/scale/test_enrollment_tally.py checks the sums after every migration).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from clinic.migrations.tally_triggers import drop_triggers, postgresql_triggers, sqlite_triggers

COLUMNS = "study_id, site_id, arm_id, n"
WATCHED = {"enrollment": ("arm_id", "patient_id"), "patient": ("site_id", "study_id")}


def _insert(select: str) -> str:
    # WHERE true: SQLite's parser needs it before a trigger's INSERT … SELECT ends
    return (f"INSERT INTO enrollment_tally ({COLUMNS}) SELECT * FROM ({select}) AS moved "
            "WHERE true")


def _enrollment(row: str, sign: int) -> str:
    return _insert(f"SELECT p.study_id, p.site_id, {row}.arm_id, {sign} FROM patient p "
                   f"WHERE p.id = {row}.patient_id")


def _patient(row: str, sign: int) -> str:
    return _insert(f"SELECT {row}.study_id, {row}.site_id, e.arm_id, {sign} "
                   f"FROM enrollment e WHERE e.patient_id = {row}.id")


def _moves() -> dict[str, dict[str, list[str]]]:
    """table -> event -> the INSERTs that event runs (engine-neutral SQL)."""
    return {
        "enrollment": {"INSERT": [_enrollment("NEW", 1)], "DELETE": [_enrollment("OLD", -1)],
                       "UPDATE": [_enrollment("OLD", -1), _enrollment("NEW", 1)]},
        "patient": {"UPDATE": [_patient("OLD", -1), _patient("NEW", 1)]},
    }


def sqlite_statements() -> Iterator[str]:
    return sqlite_triggers("enrollment_tally", _moves(), WATCHED)


def postgresql_statements() -> Iterator[str]:
    return postgresql_triggers("enrollment_tally", _moves(), WATCHED)


def drop_statements(dialect: str) -> Iterator[str]:
    return drop_triggers("enrollment_tally", _moves(), dialect)


BACKFILL = (f"INSERT INTO enrollment_tally ({COLUMNS}) "
            "SELECT p.study_id, p.site_id, e.arm_id, count(*) FROM enrollment e "
            "JOIN patient p ON p.id = e.patient_id GROUP BY p.study_id, p.site_id, e.arm_id")


def create_enrollment_tally_triggers(execute: Callable[[str], object], dialect: str) -> None:
    """Run the CREATE statements with ``execute`` (e.g. ``op.execute``)."""
    statements = sqlite_statements() if dialect == "sqlite" else postgresql_statements()
    for sql in statements:
        execute(sql)
