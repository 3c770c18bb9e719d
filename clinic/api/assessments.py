"""API: scheduled assessments, recording their scores, corrections, 'not done'."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_login import current_user
from sqlmodel import select
from werkzeug.wrappers import Response

from clinic.api.base import body, bp, ok
from clinic.api.schemas import NotDoneIn, ScoresEdit, ScoresIn
from clinic.api.serialize import assessment_out, assessments_out
from clinic.auth.roles import allow, any_user
from clinic.db import get_session
from clinic.exceptions import ValidationError
from clinic.followup.editing import edit_follow_up, scores_of
from clinic.followup.entry import (
    CONFIRM_ON_FORM,
    AdverseEventInput,
    FollowUpEntry,
    MedicationInput,
    reopen_follow_up,
    save_follow_up,
    skip_follow_up,
)
from clinic.followup.medications import CONFIRM_DOSES
from clinic.models import Assessment, StudyTimepoint
from clinic.web.access import ENTERS_FOLLOW_UPS, assessment_or_404, patient_or_404
from clinic.web.filters import clinic_today
from clinic.web.followup import visit_context


@bp.get("/patients/<int:patient_id>/assessments")
@any_user
def list_assessments(patient_id: int) -> Response:
    session = get_session()
    patient = patient_or_404(session, patient_id)
    rows = session.exec(select(Assessment).join(StudyTimepoint)
                        .where(Assessment.patient_id == patient.id)
                        .order_by(StudyTimepoint.position)).all()
    return ok(assessments_out(session, list(rows), clinic_today()))  # type: ignore[arg-type]


@bp.get("/assessments/<int:assessment_id>")
@any_user
def get_assessment(assessment_id: int) -> Response:
    session = get_session()
    assessment, _patient = assessment_or_404(session, assessment_id)
    return ok(assessment_out(session, assessment, clinic_today()))


@bp.post("/assessments/<int:assessment_id>/scores")
@allow(*ENTERS_FOLLOW_UPS)
def record_scores(assessment_id: int) -> Response:
    session = get_session()
    assessment, patient = assessment_or_404(session, assessment_id)
    data = body(ScoresIn)
    ae = data.adverse_event
    entry = FollowUpEntry(
        entries=data.entry_values(), mode=data.mode, read_version=data.version,
        adverse_event=AdverseEventInput(ae.event_type, ae.onset_on, ae.severity,
                                        ae.is_related, ae.notes) if ae else None,
        medications=tuple(MedicationInput(m.med_class, m.drug, m.daily_dose_mg)
                          for m in data.medications),
        visit_on=data.visit_on, missing_reason=data.missing_reason,
        require_complete=True,  # as the form: a missing outcome needs its reason
        far_date_confirmed=data.date_confirmed,
        doses_confirmed=None if data.doses_confirmed else frozenset())
    try:
        save_follow_up(session, assessment=assessment, patient=patient, entry=entry,
                       actor_id=current_user.id,
                       context=visit_context(session, assessment, data.visit_on))
    except ValidationError as error:
        raise ValidationError(_api_errors(error.errors)) from error
    session.commit()
    return ok(assessment_out(session, assessment, clinic_today()), 201)


def _api_errors(errors: dict[str, str]) -> dict[str, str]:
    """The entry form's errors as the API names the fields, and how to confirm a date."""
    out = {_api_field(k): v.replace("reopen it first (on its page)", "reopen it first "
                                    "(POST /assessments/{id}/reopen)")
           for k, v in errors.items()}
    if "missing_reason" in out:
        out["missing_reason"] = out["missing_reason"].replace(
            "and save again", 'and send it again with "missing_reason"', 1).replace(
            "Nothing above needs", "Nothing needs").replace(
            "Clear this box, or leave blank", 'Send no "missing_reason", or null for').replace(
            "or clear this box", 'or send no "missing_reason"')
    if "date_confirmed" in out:
        out["date_confirmed"] = out["date_confirmed"].replace(
            CONFIRM_ON_FORM, 'send it again with "date_confirmed": true')
    if "doses_confirmed" in out:
        out["doses_confirmed"] = out["doses_confirmed"].replace(
            CONFIRM_DOSES, 'send it again with "doses_confirmed": true')
    return out


def _api_field(form_field: str) -> str:
    """The entry form's field names ("ae.severity", "med.0.drug") as the body names them."""
    if form_field.startswith("ae."):
        return "adverse_event." + form_field.removeprefix("ae.")
    if form_field.startswith("med."):
        return "medications." + form_field.removeprefix("med.")
    return form_field


@bp.put("/assessments/<int:assessment_id>/scores")
@allow(*ENTERS_FOLLOW_UPS)
def correct_scores(assessment_id: int) -> Response:
    session = get_session()
    assessment, _patient = assessment_or_404(session, assessment_id)
    data = body(ScoresEdit)
    _refuse_left_out(session, assessment, data.entries.model_fields_set)
    medications = None if data.medications is None else tuple(
        MedicationInput(m.med_class, m.drug, m.daily_dose_mg) for m in data.medications)
    try:
        edit_follow_up(session, assessment=assessment, read_version=data.version,
                       entries=data.entry_values(), mode=data.mode, reason=data.reason,
                       actor_id=current_user.id, missing_reason=data.missing_reason,
                       visit_on=data.visit_on, medications=medications,
                       doses_confirmed=None if data.doses_confirmed else frozenset(),
                       context=visit_context(session, assessment, data.visit_on))
    except ValidationError as error:
        raise ValidationError(_api_errors(error.errors)) from error
    session.commit()
    return ok(assessment_out(session, assessment, clinic_today()))


def _refuse_left_out(session: Any, assessment: Any, given: set[str]) -> None:
    """A correction sends the visit as it should read: an instrument recorded at the visit
    and left out of ``entries`` would be removed without a word (found trying the API as
    a new user would: a PUT of the VAS and ODI erased the NSAID reduction and the OME),
    so it is refused; sent as null, it is removed."""
    left_out = [score.instrument for score in scores_of(session, assessment)
                if score.instrument not in given]
    if left_out:
        names = ", ".join(left_out)
        raise ValidationError({"entries": f"leaves out {names}, recorded at this visit: send "
                                          "every value as it should read (as recorded, to "
                                          "keep it; null, to remove it)"})


@bp.post("/assessments/<int:assessment_id>/reopen")
@allow(*ENTERS_FOLLOW_UPS)
def reopen(assessment_id: int) -> Response:
    """A follow-up marked not done made pending again (the patient called back), with the
    reason; then its scores are recorded as any other's."""
    return _with_reason(assessment_id, reopen_follow_up)


@bp.post("/assessments/<int:assessment_id>/not-done")
@allow(*ENTERS_FOLLOW_UPS)
def not_done(assessment_id: int) -> Response:
    return _with_reason(assessment_id, skip_follow_up)


def _with_reason(assessment_id: int, change: Callable[..., Any]) -> Response:
    """A change of a visit's state with the version read and a reason (not done, reopen)."""
    session = get_session()
    assessment, _patient = assessment_or_404(session, assessment_id)
    data = body(NotDoneIn)
    change(session, assessment=assessment, read_version=data.version, reason=data.reason,
           actor_id=current_user.id, today=clinic_today())
    session.commit()
    return ok(assessment_out(session, assessment, clinic_today()))
