"""Follow-up entry: scores at a scheduled timepoint, 'not done', and corrections."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from clinic.audit.latest import last_change_by
from clinic.auth.roles import allow
from clinic.catalog import (
    ADVERSE_EVENT_TYPES,
    COLLECTION_MODES,
    MEDICATION_CLASSES,
    RAISES_QUERIES,
    SEVERITIES,
)
from clinic.db import get_session
from clinic.enrollment.service import withdrawal_of
from clinic.exceptions import ConflictError, ValidationError
from clinic.followup.editing import edit_follow_up, recorded_entries, scores_of
from clinic.followup.entry import (
    FollowUpEntry,
    VisitContext,
    entry_errors,
    reopen_follow_up,
    save_follow_up,
    skip_follow_up,
)
from clinic.followup.medications import medications_of, same_medications
from clinic.followup.service import measures_at
from clinic.models import (
    Assessment,
    DataQuery,
    Enrollment,
    Patient,
    Procedure,
    StudyTimepoint,
)
from clinic.patients.identity import identity_of
from clinic.queries.rules import raised_in
from clinic.queries.service import (
    answer_by_correction,
    markers,
    queried_value,
    queries_of_patient,
)
from clinic.scheduling.windows import window_deviation
from clinic.scoring.instruments import INSTRUMENTS, Instrument
from clinic.scoring.opioids import unconverted
from clinic.scoring.wording import QUESTIONS, source_note, wording_of
from clinic.web.access import ENTERS_FOLLOW_UPS, assessment_or_404, sees_identity
from clinic.web.drafts import with_draft
from clinic.web.filters import clinic_today, local_time, score_shown
from clinic.web.followup_form import (
    MEDICATION_ROWS,
    confirmed_doses,
    dose_keys,
    entries_from_form,
    entry_from_form,
    form_values,
    grouped,
    medication_values,
    medications_from_form,
    same_entries,
    typed_values,
)
from clinic.web.forms import a_date, form_int
from clinic.web.locks import visit_lock_notice
from clinic.web.queries import flash_left_open, flash_raised

bp = Blueprint("followup", __name__, url_prefix="/followup")


def _instruments(assessment: Assessment) -> list[Instrument]:
    return [INSTRUMENTS[code] for code in measures_at(get_session(), assessment)]


@bp.route("/<int:assessment_id>", methods=["GET", "POST"])
@allow(*ENTERS_FOLLOW_UPS)
def entry(assessment_id: int) -> str | Response:
    session = get_session()
    assessment, patient = assessment_or_404(session, assessment_id)
    if assessment.state != "pending" and request.method == "GET":
        return redirect(url_for("followup.edit", assessment_id=assessment_id))
    instruments = _instruments(assessment)
    errors: dict[str, str] = {}
    if request.method == "POST":
        form_errors: dict[str, str] = {}
        entry = entry_from_form(request.form, instruments, form_errors)
        try:  # with the form's own problems too, so that one round names them all
            scores = save_follow_up(session, assessment=assessment, patient=patient,
                                    entry=entry, actor_id=current_user.id,
                                    context=visit_context(session, assessment, entry.visit_on))
            if form_errors:
                raise ValidationError(form_errors)
            raised = raised_in(session)
            session.commit()
            _saved_message(patient, assessment, scores, entry)
            flash_raised(raised)
            return redirect(url_for("worklist.index"))
        except ValidationError as error:
            session.rollback()
            errors = {**error.errors, **form_errors}  # the form's word on its own fields
        except ConflictError:
            session.rollback()
            return _conflict(assessment, entry, instruments)
    values = request.form if request.method == "POST" else with_draft(request.form)
    if values is not request.form and "mode" in values:  # this form's draft, kept when one
        # field was refused (an invisible character): what else the save would refuse is
        # said now, not after the next save (the not-done form's draft has no mode)
        unread: dict[str, str] = {}
        errors = {**entry_errors(entry_from_form(values, instruments, unread),
                                 {i.code for i in instruments}), **unread}
        return _render("followup/entry.html", assessment, patient, instruments, values,
                       errors, status=200)
    return _render("followup/entry.html", assessment, patient, instruments, values, errors)


def visit_context(session: Any, assessment: Assessment,
                  visit_on: date | None = None) -> VisitContext:
    """Today, the zone, the index procedure's day and, for a visit dated ``visit_on``
    before the procedure (a baseline, or no procedure yet), the consent's: a day after
    the procedure is after the consent already (a procedure is not dated before the
    enrollment), so a save of today's visit reads nothing more."""
    zone = current_app.config["TIMEZONE"]
    procedure = session.get(Procedure, assessment.procedure_id) if assessment.procedure_id \
        else None
    timepoint = session.get(StudyTimepoint, assessment.timepoint_id)
    today = clinic_today()
    procedure_on = procedure.performed_at.astimezone(ZoneInfo(zone)).date() if procedure \
        else None
    consent_on = None
    if visit_on is not None and visit_on < today and (procedure_on is None
                                                      or visit_on < procedure_on):
        consent = session.execute(select(Enrollment.consent_on, Enrollment.enrolled_on).where(
            Enrollment.patient_id == assessment.patient_id)).first()
        consent_on = (consent[0] or consent[1]) if consent else None
    return VisitContext(today=today, timezone=zone, procedure_on=procedure_on,
                        is_baseline=bool(timepoint and timepoint.is_baseline),
                        consent_on=consent_on)


def _saved_message(patient: Patient, assessment: Assessment, scores: list,  # type: ignore[type-arg]
                   entry: FollowUpEntry | None = None) -> None:
    extras = []
    if entry is not None and entry.adverse_event is not None:
        ae = entry.adverse_event
        extras.append(f"adverse event {ADVERSE_EVENT_TYPES.get(ae.event_type, ae.event_type)}"
                      f" ({SEVERITIES.get(ae.severity or '', ae.severity)})")
    if entry is not None and entry.medications:
        extras.append(", ".join(f"{m.drug} {m.daily_dose_mg:g} mg/day"
                                for m in entry.medications))
    said = "; ".join([_summary(scores), *extras])
    flash(f"Saved {patient.study_code}: {said}.", "success")
    _window_message(assessment)
    if assessment.missing_reason:
        flash(f"Recorded as not collected, with the reason: {assessment.missing_reason}",
              "info")
    _ome_not_checked(scores, entry.medications if entry is not None else None)


def _ome_not_checked(scores: Sequence[Any], medications: Sequence[Any] | None) -> None:
    """An OME saved beside an opioid the OME table cannot convert is not checked against
    the list (the automatic query would not know what to compare): the nurse is told
    which drug, rather than nothing."""
    if not any(s.instrument == "ome" and s.value is not None for s in scores):
        return
    drugs = unconverted([(m.drug or "", m.daily_dose_mg or 0.0)
                         for m in medications or () if m.med_class == "opioid"])
    if drugs:
        flash(f"The OME was not checked against the opioids listed: no oral morphine "
              f"factor for {', '.join(drugs)} (CDC 2022 table; a fentanyl patch and "
              "buprenorphine have none). Check the OME by hand.", "info")


def _window_message(assessment: Assessment) -> None:
    late = window_deviation(assessment.visit_on, assessment.window_open, assessment.window_close)
    if late:
        flash(f"The visit was {late} for its window ({assessment.window_open:%Y-%m-%d} – "
              f"{assessment.window_close:%Y-%m-%d}): it is kept and counted as a protocol "
              "deviation in the report.", "warning")


FIELD_ERROR_REOPEN = "field-reopen"  # a flash category base.html leaves to the form


@bp.route("/<int:assessment_id>/reopen", methods=["POST"])
@allow(*ENTERS_FOLLOW_UPS)
def reopen(assessment_id: int) -> str | Response:
    session = get_session()
    assessment, patient = assessment_or_404(session, assessment_id)
    try:
        reopen_follow_up(session, assessment=assessment,
                         read_version=request.form.get("version", type=form_int),
                         reason=request.form.get("reason"), actor_id=current_user.id,
                         today=clinic_today())
        session.commit()
    except ValidationError as error:
        session.rollback()
        if set(error.errors) == {"reason"}:  # said at the reason field, not in a banner
            flash(error.errors["reason"], FIELD_ERROR_REOPEN)
        else:
            flash("Not reopened: " + "; ".join(error.errors.values()), "error")
        return _back_from_reopen(patient, assessment_id)
    except ConflictError:
        session.rollback()
        flash("Not reopened: someone else changed this follow-up meanwhile; check it.", "error")
        return _back_from_reopen(patient, assessment_id)
    flash(f"{patient.study_code}: follow-up reopened; enter it now or from the worklist.",
          "success")
    return redirect(url_for("followup.entry", assessment_id=assessment_id))


def _already_marked_so(assessment: Assessment) -> bool:
    """The visit is not done by this user with this reason: the same 'not done' sent
    twice is no conflict."""
    reason = " ".join((request.form.get("not_done_reason") or "").split())
    return (assessment.state == "not_done" and assessment.completed_by_id == current_user.id
            and " ".join((assessment.not_done_reason or "").split()) == reason)


def _back_from_reopen(patient: Patient, assessment_id: int) -> Response:
    """A refused reopen goes back to the page it was asked from: the visit's own page or
    the patient's."""
    if request.form.get("from") == "edit":
        return redirect(url_for("followup.edit", assessment_id=assessment_id))
    return redirect(url_for("patients.show", patient_id=patient.id, reopen=assessment_id,
                            _anchor=f"reopen-visit-{assessment_id}"))


@bp.route("/<int:assessment_id>/not-done", methods=["POST"])
@allow(*ENTERS_FOLLOW_UPS)
def not_done(assessment_id: int) -> str | Response:
    session = get_session()
    assessment, patient = assessment_or_404(session, assessment_id)
    try:
        skip_follow_up(session, assessment=assessment,
                       read_version=request.form.get("version", type=form_int),
                       reason=request.form.get("not_done_reason", ""), actor_id=current_user.id,
                       today=clinic_today())
        session.commit()
    except ValidationError as error:
        session.rollback()
        return _render("followup/entry.html", assessment, patient, _instruments(assessment),
                       request.form, error.errors)
    except ConflictError:
        session.rollback()
        if _already_marked_so(assessment):  # a double click, a resent form
            flash(f"{patient.study_code}: follow-up marked not done (it already was).",
                  "success")
            return redirect(url_for("worklist.index"))
        return _conflict(assessment)
    flash(f"{patient.study_code}: follow-up marked not done.", "success")
    return redirect(url_for("worklist.index"))


@bp.route("/<int:assessment_id>/edit", methods=["GET", "POST"])
@allow(*ENTERS_FOLLOW_UPS)
def edit(assessment_id: int) -> str | Response:
    session = get_session()
    assessment, patient = assessment_or_404(session, assessment_id)
    if assessment.state == "pending" and request.method == "GET":  # nothing to correct:
        return redirect(url_for("followup.entry", assessment_id=assessment_id))  # enter it
    instruments = _instruments(assessment)
    errors: dict[str, str] = {}
    recorded_meds = medications_of(session, assessment)
    med_rows = max(MEDICATION_ROWS, len(recorded_meds) + 1)
    values: Any = with_draft({**form_values(recorded_entries(session, assessment)),
                              **medication_values(recorded_meds),
                              "mode": assessment.mode or "", "version": str(assessment.version),
                              "missing_reason": assessment.missing_reason or "",
                              "visit_on": assessment.visit_on.isoformat()
                              if assessment.visit_on else ""})
    if request.method == "POST" and assessment.state == "completed":
        unread: dict[str, str] = {}  # named with the service's errors, in one round
        visit_on = a_date(request.form.get("visit_on"), "visit_on", unread, required=False)
        moved = visit_on is not None and visit_on != assessment.visit_on
        typed_meds = medications_from_form(request.form) if request.form.get(
            "med_rows") else None  # (None: no rows on the page: as recorded)
        query_id = request.form.get("query", type=form_int)
        asked_about = queried_value(session, query_id)  # as it read before the correction
        try:
            answered = edit_follow_up(
                session, assessment=assessment,
                read_version=request.form.get("version", type=form_int),
                entries=entries_from_form(request.form, instruments),
                mode=request.form.get("mode", ""), reason=request.form.get("reason"),
                actor_id=current_user.id, missing_reason=request.form.get("missing_reason"),
                visit_on=visit_on, context=visit_context(session, assessment, visit_on),
                medications=typed_meds,
                doses_confirmed=confirmed_doses(request.form),
                date_confirmed=request.form.get("date_confirmed") == "yes")
            if unread:
                raise ValidationError(unread)
            session.flush()
            changed = ["value", "visit_on", "mode"] if queried_value(  # the query's own
                session, query_id) != asked_about else []  # value, or nothing it asks
            asked = answer_by_correction(session, query_id,
                                         patient_id=patient.id,  # type: ignore[arg-type]
                                         reason=request.form.get("reason"),
                                         actor_id=current_user.id, changed=changed)
            numbers = sorted({q.id for q in [*answered, *([asked] if asked else [])]})
            raised = raised_in(session)
            session.commit()
            flash(f"{patient.study_code}: follow-up corrected."
                  + "".join(f" Query #{n} is answered." for n in numbers), "success")
            if moved:
                _window_message(assessment)
            _ome_not_checked(scores_of(session, assessment),
                             medications_of(session, assessment))
            flash_left_open(query_id, changed)
            flash_raised(raised)
            if query_id is not None and session.get(DataQuery, query_id) is not None:
                return redirect(url_for("queries.show", query_id=query_id))  # back where
            return redirect(url_for("patients.show", patient_id=patient.id))  # it began
        except ValidationError as error:
            session.rollback()
            errors, values = {**error.errors, **unread}, request.form
        except ConflictError:
            session.rollback()
            typed = FollowUpEntry(entries=entries_from_form(request.form, instruments),
                                  mode=request.form.get("mode", ""), read_version=None,
                                  visit_on=visit_on,
                                  medications=tuple(recorded_meds) if typed_meds is None
                                  else typed_meds,
                                  missing_reason=request.form.get("missing_reason"))
            return _conflict(assessment, typed, instruments)
    return _render("followup/edit.html", assessment, patient, instruments, values, errors,
                   med_rows=med_rows, medications=recorded_meds)


_CHANGED = {  # what the change that came first did, by the visit's state now
    "completed": "saved this follow-up",
    "not_done": "marked this follow-up not done",
    "pending": "reopened this follow-up",
}


def _conflict(assessment: Assessment, entry: FollowUpEntry | None = None,
              instruments: list[Instrument] | None = None) -> Any:
    """A stale form. The same person saving the same values twice (a double click, a
    resent form) is told it is saved; anyone else sees who saved what, and when, beside
    what they typed."""
    session = get_session()
    session.refresh(assessment)
    patient = session.get(Patient, assessment.patient_id)
    recorded = recorded_entries(session, assessment)
    recorded_meds = medications_of(session, assessment)
    latest = last_change_by(session, "assessment", assessment.id)  # type: ignore[arg-type]
    if (entry is not None and assessment.state == "completed" and latest is not None
            and latest[0] == current_user.id and same_entries(recorded, entry.entries)
            and same_medications(recorded_meds, entry.medications)
            and entry.visit_on in (None, assessment.visit_on)):
        flash(f"Saved {patient.study_code}: this follow-up was already saved with these "  # type: ignore[union-attr]
              "values (the form was sent twice).", "success")
        return redirect(url_for("worklist.index"))
    values = {**form_values(recorded), **medication_values(recorded_meds),
              "mode": assessment.mode or "", "version": str(assessment.version),
              "visit_on": assessment.visit_on.isoformat() if assessment.visit_on else "",
              "missing_reason": assessment.missing_reason or ""}
    who, when = (latest[1], local_time(latest[2])) if latest else ("Someone else", "just now")
    if latest and latest[0] == current_user.id:  # (the same user, in two windows)
        who = "You, in another window or tab,"
    flash(f"{who} {_CHANGED[assessment.state]} ({when}) while you were working on it. Your "
          "entry was NOT saved. Below is what is now recorded, "
          "with what you typed beside it; check it before changing anything.", "error")
    typed = typed_values(entry, instruments or []) if entry is not None else []
    if entry is not None and entry.visit_on is not None:
        typed.insert(0, ("Date of the visit", entry.visit_on.isoformat()))
    if entry is not None and entry.mode in COLLECTION_MODES:
        typed.insert(1 if entry.visit_on is not None else 0,
                     ("How it was collected", COLLECTION_MODES[entry.mode]))
    if entry is not None and (entry.missing_reason or "").strip():
        typed.append(("Not collected, because", entry.missing_reason.strip()))  # type: ignore[union-attr]
    template = "followup/edit.html" if assessment.state == "completed" else "followup/entry.html"
    return _render(template, assessment, patient, _instruments(assessment),  # type: ignore[arg-type]
                   values, {}, status_conflict=True, typed=typed,
                   med_rows=max(MEDICATION_ROWS, len(recorded_meds) + 1),
                   medications=recorded_meds)


def _render(template: str, assessment: Assessment, patient: Patient,
            instruments: list[Instrument], values: Any, errors: dict[str, str],
            status_conflict: bool = False, typed: list[tuple[str, str]] | None = None,
            med_rows: int = MEDICATION_ROWS, medications: list[Any] | None = None,
            status: int | None = None) -> Any:
    timepoint = get_session().get(StudyTimepoint, assessment.timepoint_id)
    typed_meds = medications_from_form(values)
    typed_rows = [m.row for m in typed_meds if m.row is not None]
    med_rows = max(med_rows, max(typed_rows, default=-1) + 1)  # every typed row shown again
    body = render_template(
        template, assessment=assessment, patient=patient, timepoint=timepoint,
        groups=grouped(instruments), values=values, errors=errors,
        modes=COLLECTION_MODES, ae_types=ADVERSE_EVENT_TYPES, severities=SEVERITIES,
        med_classes=MEDICATION_CLASSES, med_rows=range(med_rows),
        medications=medications or [],
        dose_keys=dose_keys(typed_meds, medications or []),
        scores=scores_of(get_session(), assessment), typed=typed or [],
        today=clinic_today(), wording=wording_of, questions=QUESTIONS,
        source_note=source_note,
        query_marks=markers(queries_of_patient(get_session(), patient.id,  # type: ignore[arg-type]
                                               not_closed_only=True)),
        can_raise=current_user.role in RAISES_QUERIES,
        window_note=window_deviation(assessment.visit_on, assessment.window_open,
                                     assessment.window_close),
        lock=visit_lock_notice(get_session(), patient, assessment.id),  # type: ignore[arg-type]
        withdrawn=withdrawal_of(get_session(), patient.id),  # type: ignore[arg-type]
        patient_name=_name_shown(patient))
    if status is None:
        status = 409 if status_conflict else (422 if errors else 200)
    return body, status


def _name_shown(patient: Patient) -> str | None:
    """The patient's name, for a role that sees identities (the nurse on the phone checks
    who answers; the worklist she came from showed it)."""
    if not sees_identity():
        return None
    identity = identity_of(get_session(), patient)
    return identity.name if identity is not None else None


def _summary(scores: list) -> str:  # type: ignore[type-arg]
    return "; ".join(f"{INSTRUMENTS[s.instrument].label} {score_shown(s.instrument, s.value)}"
                     for s in scores)
