"""clinic.followup.completion: on PostgreSQL the lock guard, the visit's claim and the
cancellation of its reminders in one round trip; where the claim does not take the
visit (changed since it was read, or locked), nothing else is changed either and the
caller goes the ordinary way, which names the conflict or the lock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlmodel import Session

from clinic.db import get_engine
from clinic.exceptions import ConflictError, LockedError
from clinic.followup.completion import take_at_once
from clinic.followup.service import completed_values, record_follow_up
from clinic.locks.service import lock_patient
from clinic.models import Patient
from clinic.models.base import utcnow
from tests.reminders.conftest import Clinic, assessment_at, build_clinic, reminder_of


@pytest.fixture
def clinic(session: Session, clock: object) -> Iterator[Clinic]:
    yield build_clinic(session)


@pytest.fixture
def clock() -> Iterator[object]:
    import time_machine

    from tests.reminders.conftest import PLANNING_DAY

    with time_machine.travel(PLANNING_DAY) as traveller:
        yield traveller


def _stored(session: Session, visit_id: int) -> tuple[str, int]:
    """The visit as its row reads in this transaction (not as the session holds it)."""
    return tuple(session.connection().execute(text(
        "SELECT state, version FROM assessment WHERE id = :id"), {"id": visit_id}).one())


def test_the_visit_is_taken_and_its_reminder_cancelled_in_one_go(app, session, clinic):
    visit = assessment_at(session, clinic.patient, "month_1")
    version = visit.version
    taken = take_at_once(session, visit, version, completed_values(utcnow(), None, None,
                                                                   "phone"))
    if get_engine(app).dialect.name != "postgresql":
        assert taken is False  # the ordinary path, step by step
        return
    assert taken is True
    assert (visit.state, visit.version) == ("completed", version + 1)  # held as stored
    assert _stored(session, visit.id) == ("completed", version + 1)
    row = reminder_of(session, visit)
    assert (row.state, row.note) == ("cancelled", "follow-up completed")


@pytest.mark.parametrize("why", ["stale", "locked"])
def test_a_visit_not_taken_changes_nothing_and_the_save_names_why(app, session, clinic, why):
    visit = assessment_at(session, clinic.patient, "month_1")
    version = visit.version
    read = version
    if why == "stale":
        read = version - 1 if version > 0 else version
        if read == version:  # make it stale: another save came first
            with Session(get_engine(app)) as other:
                other.execute(text("UPDATE assessment SET version = version + 1 "
                                   "WHERE id = :id"), {"id": visit.id})
                other.commit()
    else:
        with Session(get_engine(app)) as other:
            lock_patient(other, other.get(Patient, clinic.patient.id), actor_id=None)
            other.commit()
    before = _stored(session, visit.id)
    assert take_at_once(session, visit, read, completed_values(
        utcnow(), None, None, "phone")) is False
    assert _stored(session, visit.id) == before
    assert reminder_of(session, visit).state == "pending"
    session.rollback()
    visit = assessment_at(session, clinic.patient, "month_1")
    with pytest.raises(ConflictError if why == "stale" else LockedError):
        record_follow_up(session, assessment=visit, entries={"vas": 3}, mode="phone",
                         actor_id=None, read_version=read)
    session.rollback()
    assert reminder_of(session, visit).state == "pending"
