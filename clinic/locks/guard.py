"""The lock guard: a ``before_flush`` listener that refuses any write to locked data.

Every write of clinical data goes through a flush, whatever path it came by (a screen,
the API, a CLI command, an import), so one check here covers them all. Each row about
to be written is placed with its patient (and visit), and one indexed query asks
whether the study, the patient or the visit is locked. A locked one raises
:class:`clinic.exceptions.LockedError` before anything reaches the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from clinic.exceptions import LockedError
from clinic.models import (
    Assessment,
    DataQuery,
    DataQueryStep,
    DoseEvent,
    Injectate,
    Medication,
    Patient,
    PatientIdentity,
    Procedure,
    ProcedureTarget,
    RadiationDoseReport,
    RecordLock,
    Score,
    ScoreSection,
    Screening,
    ScreeningAnswer,
    Signature,
    User,
)
from clinic.models.base import Audited

# locks themselves, staff accounts, signatures (signing locked data is the point), data
# queries (a monitor questions locked data; answering it by a correction is refused),
# and the patient's contact data: not study data, and reminders need a new phone number
NOT_CLINICAL = (RecordLock, User, Signature, PatientIdentity, DataQuery, DataQueryStep)
LEVEL_WORDS = {"visit": "This visit", "patient": "This patient's record",
               "study": "The study's database"}


def install_lock_guard() -> None:
    if not event.contains(Session, "before_flush", _refuse_locked):
        event.listen(Session, "before_flush", _refuse_locked)


def _refuse_locked(session: Session, _context: Any, _instances: Any) -> None:
    places = [place for obj in _written(session) if (place := _place(session, obj))]
    if not places:
        return
    targets = {f"study:{study}" for study, _p, _v in places}
    targets |= {f"patient:{patient}" for _s, patient, _v in places if patient}
    targets |= {f"visit:{visit}" for _s, _p, visit in places if visit}
    with session.no_autoflush:
        locks = session.execute(select(RecordLock.level, RecordLock.locked_at, User.name)
                                .outerjoin(User, User.id == RecordLock.locked_by_id)
                                .where(RecordLock.target.in_(sorted(targets)))  # type: ignore[attr-defined]
                                .order_by(RecordLock.id)).all()
    if locks:
        level, locked_at, name = locks[0]
        raise LockedError(f"{LEVEL_WORDS[level]} is locked (since {_clinic_time(locked_at)}, "
                          f"by {name or 'the system'}): nothing was saved. Ask a coordinator "
                          "to unlock it, with a reason.")


def _clinic_time(moment: datetime) -> str:
    """The lock's time in the clinic's zone when the app is at hand (screens, API, CLI),
    in UTC otherwise."""
    from flask import current_app, has_app_context

    if has_app_context():
        zone = ZoneInfo(current_app.config["TIMEZONE"])
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _written(session: Session) -> list[Any]:
    changed = [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    return [o for o in (*session.new, *changed, *session.deleted)
            if isinstance(o, Audited) and not isinstance(o, NOT_CLINICAL)]


def _place(session: Session, obj: Any) -> tuple[int, int | None, int | None] | None:
    """(study id, patient id, visit id) of a row about to be written; None where it is
    not known yet (a section whose new score is written in the same flush)."""
    with session.no_autoflush:
        if isinstance(obj, Patient):
            return obj.study_id, obj.id, None
        if isinstance(obj, Screening):
            return obj.study_id, obj.patient_id, None
        if isinstance(obj, ScreeningAnswer):
            return _of(session, Screening, obj.screening_id, _place)
        if isinstance(obj, Assessment):
            return _patient_place(session, obj.patient_id, obj.id)
        if isinstance(obj, Score | Medication):
            return _of(session, Assessment, obj.assessment_id, _place)
        if isinstance(obj, ScoreSection):
            return _of(session, Score, obj.score_id, _place)
        if isinstance(obj, ProcedureTarget | Injectate | RadiationDoseReport | DoseEvent):
            return _of(session, Procedure, obj.procedure_id, _place)
        if hasattr(obj, "patient_id"):  # procedure, enrolment, root laterality, event
            return _patient_place(session, obj.patient_id, None)
        study_id = getattr(obj, "study_id", None)  # a protocol amendment
        return (study_id, None, None) if study_id is not None else None


def _of(session: Session, model: Any, key: int | None, place: Any) -> Any:
    parent = session.get(model, key) if key is not None else None
    return place(session, parent) if parent is not None else None


def _patient_place(session: Session, patient_id: int | None,
                   visit_id: int | None) -> tuple[int, int | None, int | None] | None:
    patient = session.get(Patient, patient_id) if patient_id is not None else None
    return (patient.study_id, patient_id, visit_id) if patient is not None else None  # type: ignore[return-value]
