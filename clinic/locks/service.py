"""Locking and unlocking recorded data (the guard that enforces locks is guard.py)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from clinic.audit import set_actor
from clinic.catalog import LOCK_LEVELS, UNLOCK_REASONS
from clinic.exceptions import ValidationError
from clinic.locks.guard import hold_targets
from clinic.models import Assessment, Patient, RecordLock, Study, User

LOCK_REASON = "Locked"


def lock_study(session: Session, study: Study, *, actor_id: int | None) -> RecordLock:
    """The database lock before analysis: no patient of the study can be changed."""
    return _lock(session, RecordLock(target=f"study:{study.id}", level="study",
                                     study_id=study.id, locked_by_id=actor_id))  # type: ignore[arg-type]


def lock_patient(session: Session, patient: Patient, *, actor_id: int | None) -> RecordLock:
    return _lock(session, RecordLock(target=f"patient:{patient.id}", level="patient",
                                     study_id=patient.study_id, patient_id=patient.id,
                                     locked_by_id=actor_id))


def lock_visit(session: Session, assessment: Assessment, *,
               actor_id: int | None) -> RecordLock:
    if assessment.state == "pending":
        raise ValidationError({"lock": "Only a recorded visit can be locked."})
    patient = session.get(Patient, assessment.patient_id)
    assert patient is not None
    return _lock(session, RecordLock(target=f"visit:{assessment.id}", level="visit",
                                     study_id=patient.study_id, patient_id=patient.id,
                                     assessment_id=assessment.id, locked_by_id=actor_id))


def _lock(session: Session, lock: RecordLock) -> RecordLock:
    """Waits for the writes under way on the target to commit (PostgreSQL; see
    clinic.locks.guard), so that the lock covers what they wrote."""
    hold_targets(session, {lock.target}, exclusive=True)
    if find_lock(session, lock.target) is not None:
        raise ValidationError({"lock": f"{LOCK_LEVELS[lock.level]} is locked already."})
    set_actor(session, lock.locked_by_id, LOCK_REASON)
    session.add(lock)
    session.flush()
    return lock


NOTE_MAX = 300  # the unlock note, after the reason, in the audit trail's reason


def unlock(session: Session, lock: RecordLock, *, reason_code: str, actor_id: int | None,
           note: str | None = None) -> None:
    """Remove a lock, for a coded reason (and an optional note), audited."""
    if reason_code not in UNLOCK_REASONS:
        raise ValidationError({"reason": "Choose why it is unlocked."})
    text = UNLOCK_REASONS[reason_code]
    said = " ".join((note or "").split())
    if len(said) > NOTE_MAX:  # refused, not cut: the audit keeps what was written whole
        raise ValidationError({"note": f"Keep the note to {NOTE_MAX} characters (it has "
                                       f"{len(said)}); nothing was unlocked."})
    if said:
        text = f"{text}: {said}"
    set_actor(session, actor_id, f"Unlocked: {text}")
    session.delete(lock)
    session.flush()


def find_lock(session: Session, target: str) -> RecordLock | None:
    return session.exec(select(RecordLock).where(RecordLock.target == target)).first()


def lock_over_visit(session: Session, patient: Patient, visit_id: int) -> RecordLock | None:
    """The oldest lock that holds this visit: the study's, the patient's or its own."""
    covering = {f"study:{patient.study_id}", f"patient:{patient.id}", f"visit:{visit_id}"}
    return next((lock for lock in locks_of_patient(session, patient)
                 if lock.target in covering), None)


def lock_over_patient(session: Session, patient: Patient) -> RecordLock | None:
    """The oldest lock that holds the patient's whole record: the study's or the
    patient's (a visit's lock holds that visit only)."""
    return next((lock for lock in locks_of_patient(session, patient)
                 if lock.level != "visit"), None)


def locks_of_patient(session: Session, patient: Patient) -> list[RecordLock]:
    """The study's lock, the patient's and their visits', oldest first."""
    return list(session.exec(select(RecordLock).where(
        (RecordLock.target == f"study:{patient.study_id}")
        | (RecordLock.patient_id == patient.id)).order_by(RecordLock.id)).all())


def locks_over_visits(session: Session,
                      visit_ids: Collection[int]) -> dict[int, tuple[RecordLock, str | None]]:
    """The oldest lock that holds each of ``visit_ids`` (the study's, its patient's or
    its own), with the name of who set it (None: the system); visits not locked are
    left out. One statement for the whole list (a worklist page), not one per visit."""
    if not visit_ids:
        return {}
    covers = or_(and_(RecordLock.level == "study", RecordLock.study_id == Patient.study_id),
                 and_(RecordLock.level == "patient", RecordLock.patient_id == Patient.id),
                 RecordLock.assessment_id == Assessment.id)
    rows = session.exec(select(Assessment.id, RecordLock, User.name)
                        .join(Patient, col(Patient.id) == Assessment.patient_id)
                        .join(RecordLock, covers)
                        .outerjoin(User, col(User.id) == RecordLock.locked_by_id)
                        .where(col(Assessment.id).in_(sorted(visit_ids)))
                        .order_by(col(RecordLock.id)))
    found: dict[int, tuple[RecordLock, str | None]] = {}
    for visit_id, lock, name in rows:
        found.setdefault(visit_id, (lock, name))  # type: ignore[arg-type]
    return found
