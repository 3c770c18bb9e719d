"""A follow-up recorded or marked not done, on PostgreSQL in one round trip.

Taking the visit is three steps, each a round trip of its own on the ordinary path
(:func:`clinic.followup.service._take`): the lock guard holds the visit's, the
patient's and the study's advisory locks and asks whether any of them is locked
(clinic.locks.guard); the claim's UPDATE checks and raises the visit's version and
sets its new state (clinic.edits); the visit's pending reminders and self-report
messages are cancelled (clinic.reminders.planning). Here they go as two statements in
one pipeline (clinic.pipeline), in that order:

1. the shared advisory locks, as the guard takes them;
2. one statement: the claim's UPDATE, which also asks that no target be locked (it
   starts after the first statement's wait, so it reads any lock committed meanwhile,
   as the guard's own question does), and the two cancellations as data-modifying
   CTEs that change nothing unless the UPDATE changed the visit.

Where the UPDATE changed nothing (the visit locked, or changed since it was read)
nothing else was either; the caller then takes the ordinary path, which names the lock
or the conflict exactly as before. Another engine, or a value the database would
refuse, takes the ordinary path from the start.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import ARRAY, String, bindparam, cast, func, select
from sqlmodel import Session

from clinic.edits import check_form_version, claim_statement, taken
from clinic.exceptions import ClinicError
from clinic.locks.guard import advisory_hold, note_unlocked, targets_to_ask, unlocked_condition
from clinic.models import Assessment
from clinic.models.values import check_rows
from clinic.pipeline import driver_form, pipelined
from clinic.reminders.planning import cancel_params, cancelled_once_claimed


def take_at_once(session: Session, visit: Assessment, read_version: int,
                 values: dict[str, Any]) -> bool:
    """Guard, claim and cancel the visit's reminders in one round trip (see the module
    docstring); True when the visit was taken, False where the caller must take the
    ordinary path (nothing was changed then, the advisory locks aside, which the
    ordinary path holds again)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql" or not _values_fit(read_version, values):
        return False
    session.flush()  # what the session holds is written first, as the ordinary path does
    targets = targets_to_ask(session, [visit])
    params = {"claim_id": visit.id, "claim_read": read_version,
              "claim_new": read_version + 1, "lock_targets": sorted(targets),
              **{f"new_{key}": value for key, value in values.items()},
              **cancel_params(visit.id, values["state"], visit.target_date)}  # type: ignore[arg-type]
    taking = driver_form(_statement(tuple(values)), params, connection.dialect)
    statements = [advisory_hold(targets)] if targets else []
    *_held, rows = pipelined(connection, [*statements, taking])
    if rows[0][0] != 1:
        return False
    taken(session, visit, read_version, values)
    note_unlocked(session, targets)
    return True


def _values_fit(read_version: int, values: dict[str, Any]) -> bool:
    """The ordinary path's own checks, whose errors it names in its own order."""
    try:
        check_form_version(read_version)
        check_rows(Assessment, [values])
    except ClinicError:
        return False
    return True


@cache
def _statement(columns: tuple[str, ...]) -> Any:
    """The claim-and-cancel statement for a visit's new ``columns``, built once."""
    table = Assessment.__table__  # type: ignore[attr-defined]
    targets = cast(bindparam("lock_targets"), ARRAY(String))
    claimed = (claim_statement(table, columns).where(unlocked_condition(targets))
               .returning(table.c.id).cte("claimed"))
    return select(select(func.count()).select_from(claimed).scalar_subquery(),
                  cancelled_once_claimed(claimed))
