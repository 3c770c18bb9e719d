"""Locking a visit, a patient or the whole study, and unlocking with a coded reason; the
notice a form for a change that a lock refuses shows instead of its save."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlmodel import Session
from werkzeug.wrappers import Response

from clinic.auth.roles import allow
from clinic.db import get_session
from clinic.exceptions import NotFound, ValidationError
from clinic.locks.guard import LEVEL_WORDS
from clinic.locks.service import (
    lock_over_patient,
    lock_over_visit,
    lock_patient,
    lock_study,
    lock_visit,
    unlock,
)
from clinic.models import Patient, RecordLock, User
from clinic.studies.setup import find_study
from clinic.web.access import MANAGES_STUDY, REVIEWS_COHORT, assessment_or_404, patient_or_404
from clinic.web.filters import local_time

bp = Blueprint("locks", __name__)


@bp.post("/patients/<int:patient_id>/lock")
@allow(*REVIEWS_COHORT)
def patient(patient_id: int) -> Response:
    session = get_session()
    record = patient_or_404(session, patient_id)
    return _done(lambda: lock_patient(session, record, actor_id=current_user.id),
                 f"{record.study_code}: the record is locked.", patient_id)


@bp.post("/visits/<int:assessment_id>/lock")
@allow(*REVIEWS_COHORT)
def visit(assessment_id: int) -> Response:
    session = get_session()
    assessment, record = assessment_or_404(session, assessment_id)
    return _done(lambda: lock_visit(session, assessment, actor_id=current_user.id),
                 f"{record.study_code}: the visit is locked.", record.id)  # type: ignore[arg-type]


@bp.post("/studies/<code>/lock")
@allow(*MANAGES_STUDY)
def study(code: str) -> Response:
    session = get_session()
    try:
        found = find_study(session, code[:40])
    except NotFound:
        abort(404)
    _attempt(lambda: lock_study(session, found, actor_id=current_user.id),
             f"{found.code}: the study's database is locked. No patient's data can be "
             "changed until it is unlocked.")
    return redirect(request.referrer or url_for("web.home"))


@bp.post("/locks/<int:lock_id>/unlock")
@allow(*MANAGES_STUDY)
def release(lock_id: int) -> Response:
    session = get_session()
    lock = session.get(RecordLock, lock_id)
    if lock is None:
        abort(404)
    if lock.patient_id is not None:
        patient_or_404(session, lock.patient_id)
    try:
        unlock(session, lock, reason_code=request.form.get("reason", ""),
               actor_id=current_user.id, note=request.form.get("note"))
        session.commit()
        flash("Unlocked. The change is in the audit trail with its reason.", "success")
    except ValidationError as error:
        session.rollback()
        if lock.patient_id is not None and set(error.errors) == {"reason"}:
            flash(error.errors["reason"], FIELD_ERROR_UNLOCK)  # at its field, the form open
            return redirect(url_for("patients.show", patient_id=lock.patient_id,
                                    unlock=lock.id, _anchor=f"unlock-{lock.id}"))
        flash("Not unlocked: " + "; ".join(error.errors.values()), "error")
    if lock.patient_id is not None:
        return redirect(url_for("patients.show", patient_id=lock.patient_id))
    return redirect(request.referrer or url_for("web.home"))


FIELD_ERROR_UNLOCK = "field-unlock"  # a flash category base.html leaves to the form


def _done(action: Callable[[], object], message: str, patient_id: int) -> Response:
    _attempt(action, message)
    return redirect(url_for("patients.show", patient_id=patient_id))


def _attempt(action: Callable[[], object], message: str) -> None:
    """Lock, commit and say so; or roll back and say why not."""
    session = get_session()
    try:
        action()
        session.commit()
        flash(message, "success")
    except ValidationError as error:
        session.rollback()
        flash("Not locked: " + "; ".join(error.errors.values()), "error")


UNLOCKED_BY = "a study coordinator or an administrator"  # the roles of MANAGES_STUDY


@dataclass(frozen=True)
class LockNotice:
    """Said at the top of a form whose change a lock refuses (the form is shown read-only,
    without its save): what is locked, since when and by whom, and who unlocks it; for a
    role that may, where (the patient page's Locks, which lists the study's lock too)."""

    locked: str
    unlock: str
    unlock_url: str | None = None


def record_lock_notice(session: Session, patient: Patient) -> LockNotice | None:
    """The notice of a form that changes the patient's record (baseline data, a procedure,
    an adverse event): held by the study's lock or the patient's."""
    return _notice(session, patient, lock_over_patient(session, patient))


def visit_lock_notice(session: Session, patient: Patient, visit_id: int) -> LockNotice | None:
    """The notice of a form that changes one visit: held by the study's lock, the
    patient's or the visit's own."""
    return _notice(session, patient, lock_over_visit(session, patient, visit_id))


def _notice(session: Session, patient: Patient, lock: RecordLock | None) -> LockNotice | None:
    if lock is None:
        return None
    who = session.get(User, lock.locked_by_id) if lock.locked_by_id else None
    locked = (f"{LEVEL_WORDS[lock.level]} is locked (since {local_time(lock.locked_at)}, by "
              f"{who.name if who else 'the system'}): nothing can be saved here.")
    if current_user.role in MANAGES_STUDY:
        return LockNotice(locked, "You may unlock it, with a reason, and then change it here.",
                          url_for("patients.show", patient_id=patient.id, _anchor="locks"))
    return LockNotice(locked, f"To change it, ask {UNLOCKED_BY} to unlock it, with a reason.")
