"""Locking a visit, a patient or the whole study, and unlocking with a coded reason; the
notice a screen shows where a lock refuses a change (a form's save, the worklist's entry
link, a data query's correction link, the enrolment form, the study builder), in one
wording (:func:`lock_notice`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    find_lock,
    lock_over_patient,
    lock_over_visit,
    lock_patient,
    lock_study,
    lock_visit,
    locks_over_visits,
    unlock,
)
from clinic.models import Patient, RecordLock, Study, User
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
ON_PATIENT_PAGE = "Unlock it on the patient page"  # its Locks list the study's lock too
ON_STUDY_SET_UP = "Unlock it on the study's set-up page"


@dataclass(frozen=True)
class LockNotice:
    """Said where a lock refuses a change (a form shown read-only, without its save; a
    link left out): what is locked, since when and by whom, and who unlocks it; for a
    role that may, where (``unlock_url``, named by ``unlock_link``)."""

    locked: str
    unlock: str
    unlock_url: str | None = None
    unlock_link: str = ON_PATIENT_PAGE


@dataclass(frozen=True)
class Refused:
    """What a lock refuses on a screen, in its notice's words: ``what`` ends the
    sentence saying what is locked, ``to`` names the change for the sentence saying who
    unlocks it ("To {to}, ask ...")."""

    what: str
    to: str


SAVE = Refused("nothing can be saved here", "change it")  # a form opened by its address
VISIT_ENTRY = Refused("the visit cannot be entered", "enter the visit")  # the worklist
CORRECTION = Refused("the value cannot be corrected", "correct the value")  # a data query
ENROLMENT = Refused("no patient can be screened or enrolled", "screen or enrol a patient")
SET_UP = Refused("the study's set-up cannot be changed", "change the set-up")


def lock_notice(lock: RecordLock, locked_by: str | None, refused: Refused, *,
                unlock_url: str, unlock_link: str = ON_PATIENT_PAGE) -> LockNotice:
    """The one wording of every lock notice: ``lock`` set by ``locked_by`` (None: the
    system) refuses ``refused``; a role that unlocks is pointed to ``unlock_url``."""
    locked = (f"{LEVEL_WORDS[lock.level]} is locked (since {local_time(lock.locked_at)}, "
              f"by {locked_by or 'the system'}): {refused.what}.")
    if current_user.role in MANAGES_STUDY:
        return LockNotice(locked, f"You may unlock it, with a reason, and then {refused.to} "
                                  "here.", unlock_url, unlock_link)
    return LockNotice(locked, f"To {refused.to}, ask {UNLOCKED_BY} to unlock it, with a reason.")


def record_lock_notice(session: Session, patient: Patient,
                       refused: Refused = SAVE) -> LockNotice | None:
    """The notice of a form that changes the patient's record (baseline data, a procedure,
    an adverse event): held by the study's lock or the patient's."""
    return _notice(session, patient, lock_over_patient(session, patient), refused)


def visit_lock_notice(session: Session, patient: Patient, visit_id: int,
                      refused: Refused = SAVE) -> LockNotice | None:
    """The notice of a form that changes one visit: held by the study's lock, the
    patient's or the visit's own."""
    return _notice(session, patient, lock_over_visit(session, patient, visit_id), refused)


def visit_entry_notices(session: Session, visits: Mapping[int, int]) -> dict[int, LockNotice]:
    """The notice of each visit of ``visits`` (visit id -> patient id) that a lock holds,
    in place of its entry link (the worklist): one statement for all of them."""
    return {visit_id: lock_notice(lock, name, VISIT_ENTRY, unlock_url=url_for(
                "patients.show", patient_id=visits[visit_id], _anchor="locks"))
            for visit_id, (lock, name) in locks_over_visits(session, visits).items()}


def study_lock_notice(session: Session, study: Study, refused: Refused) -> LockNotice | None:
    """The notice of a screen that changes the whole study (screening and enrolment, the
    study builder) while its database is locked; unlocked on its set-up page."""
    lock = find_lock(session, f"study:{study.id}")
    if lock is None:
        return None
    return lock_notice(lock, _locked_by(session, lock), refused,
                       unlock_url=url_for("study_admin.setup", study_id=study.id),
                       unlock_link=ON_STUDY_SET_UP)


def _notice(session: Session, patient: Patient, lock: RecordLock | None,
            refused: Refused) -> LockNotice | None:
    if lock is None:
        return None
    return lock_notice(lock, _locked_by(session, lock), refused, unlock_url=url_for(
        "patients.show", patient_id=patient.id, _anchor="locks"))


def _locked_by(session: Session, lock: RecordLock) -> str | None:
    who = session.get(User, lock.locked_by_id) if lock.locked_by_id else None
    return who.name if who else None
