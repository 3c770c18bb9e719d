"""Two saves of the same visit at once, on each engine: the second waits for the first
to commit and is told someone else saved it (a conflict), not a duplicate-score error,
and the visit keeps the first save's scores only (clinic.followup.service._take)."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlmodel import Session, select

from clinic.db import get_engine
from clinic.exceptions import ConflictError
from clinic.followup.entry import FollowUpEntry, save_follow_up
from clinic.models import Assessment, Patient, Score

WAIT = 0.6  # seconds the second save is seen waiting


def _save(app: Any, clinic: Any, vas: int, read_version: int,
          session: Session | None = None) -> str:
    own = session is None
    session = session or Session(get_engine(app))
    due = session.get(Assessment, clinic.due.id)
    try:
        save_follow_up(session, assessment=due, patient=session.get(Patient, due.patient_id),
                       entry=FollowUpEntry(entries={"vas": vas}, mode="phone",
                                           read_version=read_version),
                       actor_id=clinic.users["nurse"].id)
        if own:
            session.commit()
        return "saved"
    except ConflictError as error:
        session.rollback()
        return f"conflict: {error}"
    except Exception as error:  # noqa: BLE001  (the test names what else happened)
        session.rollback()
        return repr(error)
    finally:
        if own:
            session.close()


def test_the_second_of_two_saves_at_once_is_a_conflict(app, clinic):
    version = clinic.due.version
    outcome: dict[str, str] = {}
    with Session(get_engine(app)) as first:
        assert _save(app, clinic, 3, version, first) == "saved"
        second = threading.Thread(daemon=True, target=lambda: outcome.update(
            result=_save(app, clinic, 7, version)))
        second.start()
        time.sleep(WAIT)
        assert second.is_alive(), f"the second save did not wait: {outcome}"
        first.commit()
    second.join(30)
    assert outcome["result"].startswith("conflict: Assessment"), outcome
    with Session(get_engine(app)) as session:
        values = session.exec(select(Score.value).where(
            Score.assessment_id == clinic.due.id)).all()
        visit = session.get(Assessment, clinic.due.id)
    assert values == [3.0]
    assert (visit.state, visit.version) == ("completed", version + 1)
