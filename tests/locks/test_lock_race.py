"""A lock set while a write is under way: whichever comes second waits for the first to
commit, so a write never lands on data locked before it (clinic.locks.guard).

Two sessions on two threads, on each engine. On PostgreSQL the second one waits on the
first's advisory lock; on SQLite on the database's one write lock."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlmodel import Session, select

from clinic.audit import set_actor
from clinic.db import get_engine
from clinic.exceptions import LockedError
from clinic.followup.service import record_follow_up
from clinic.locks.service import lock_patient
from clinic.models import Assessment, Patient, RecordLock, Score

WAIT = 0.6  # seconds the second transaction is seen waiting


def _record(app: Any, clinic: Any, outcome: dict[str, Any]) -> None:
    try:
        with Session(get_engine(app)) as session:
            due = session.get(Assessment, clinic.due.id)
            set_actor(session, clinic.users["nurse"].id, None)
            record_follow_up(session, assessment=due, entries={"vas": 3}, mode="phone",
                             actor_id=clinic.users["nurse"].id)
            session.commit()
            outcome["result"] = "saved"
    except LockedError as error:
        outcome["result"] = str(error)
    except Exception as error:  # noqa: BLE001  (the test reports what else happened)
        outcome["result"] = repr(error)


def _lock(app: Any, clinic: Any, outcome: dict[str, Any]) -> None:
    with Session(get_engine(app)) as session:
        lock_patient(session, session.get(Patient, clinic.patient.id), actor_id=None)
        session.commit()
        outcome["result"] = "locked"


def _scores(app: Any, clinic: Any) -> int:
    with Session(get_engine(app)) as session:
        return len(session.exec(select(Score.id).where(
            Score.assessment_id == clinic.due.id)).all())


def _second(target: Any, *args: Any) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=target, args=(*args, outcome), daemon=True)
    thread.start()
    time.sleep(WAIT)
    return thread, outcome


def test_a_write_waits_for_a_lock_under_way_and_is_refused(app, clinic):
    with Session(get_engine(app)) as locker:
        lock_patient(locker, locker.get(Patient, clinic.patient.id), actor_id=None)
        writer, outcome = _second(_record, app, clinic)
        assert writer.is_alive(), f"the write did not wait for the lock: {outcome}"
        locker.commit()
    writer.join(30)
    assert not writer.is_alive()
    assert (f"This patient's record ({clinic.patient.study_code}) is locked"
            in outcome["result"]), outcome
    assert _scores(app, clinic) == 0


def test_a_lock_waits_for_a_write_under_way_and_covers_it(app, clinic):
    with Session(get_engine(app)) as writer:
        due = writer.get(Assessment, clinic.due.id)
        set_actor(writer, clinic.users["nurse"].id, None)
        record_follow_up(writer, assessment=due, entries={"vas": 3}, mode="phone",
                         actor_id=clinic.users["nurse"].id)
        locker, outcome = _second(_lock, app, clinic)
        assert locker.is_alive(), f"the lock did not wait for the write: {outcome}"
        writer.commit()
    locker.join(30)
    assert outcome == {"result": "locked"}
    assert _scores(app, clinic) == 1
    with Session(get_engine(app)) as session:
        assert session.exec(select(RecordLock.target)).all() == [f"patient:{clinic.patient.id}"]


def test_one_transaction_asks_about_a_target_once(app, clinic):
    """Two writes to one patient in one transaction: one lock query, not two."""
    from sqlalchemy import event

    engine = get_engine(app)
    asked: list[str] = []

    def count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if "FROM record_lock" in statement:
            asked.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with Session(engine) as session:
            patient = session.get(Patient, clinic.patient.id)
            set_actor(session, None, "typo")
            patient.bmi = 27.0
            session.flush()
            patient.bmi = 27.5
            session.flush()
            session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(asked) == 1


def test_a_lock_set_in_the_same_transaction_is_seen(app, clinic):
    with Session(get_engine(app)) as session:
        patient = session.get(Patient, clinic.patient.id)
        set_actor(session, None, "typo")
        patient.bmi = 27.0
        session.flush()  # the patient is found unlocked here
        lock_patient(session, patient, actor_id=None)
        patient.bmi = 27.5
        with pytest.raises(LockedError):
            session.flush()
