"""Patients: the list, one patient's record, and corrections of baseline data."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select

from clinic.audit.words import field_label, value_words
from clinic.auth.roles import allow, any_user
from clinic.catalog import LATERALITY, MODALITIES, RAISES_QUERIES, SEXES, SIGNS_DATA
from clinic.db import get_session
from clinic.dose.service import dose_summaries
from clinic.edits import NOTHING_CHANGED
from clinic.exceptions import ConflictError, ValidationError
from clinic.locks.service import locks_of_patient
from clinic.models import RootLaterality, Study, StudyArm
from clinic.patients.editing import EDITABLE, edit_patient, laterality_roots
from clinic.patients.history import (
    HistoryLine,
    child_rows,
    corrections,
    history_lines,
    removed_scores,
)
from clinic.patients.listing import PatientFilter, patient_page
from clinic.patients.overview import PatientRecord, patient_record
from clinic.queries.rules import raised_in
from clinic.queries.service import (
    answer_queries_on_changes,
    markers,
    not_closed_words,
    queries_of_patient,
)
from clinic.reminders.queries import next_reminder_for_patient, told_an_old_date
from clinic.scheduling.windows import window_deviation
from clinic.scoring.instruments import INSTRUMENTS
from clinic.selfreport.planning import ladder_specs
from clinic.selfreport.status import visit_links
from clinic.signatures.service import signature_states
from clinic.web.access import (
    EDITS_CLINICAL_DATA,
    ENTERS_FOLLOW_UPS,
    MANAGES_STUDY,
    RECORDS_PROCEDURES,
    REVIEWS_COHORT,
    all_sites,
    own_site_id,
    patient_or_404,
    sees_identity,
    site_asked,
    site_filter,
    study_or_404,
)
from clinic.web.charts import Series, line_chart
from clinic.web.conflicts import reload_after_conflict
from clinic.web.drafts import with_draft
from clinic.web.filters import clinic_today, local_time
from clinic.web.forms import blank_to_none, form_int, strict_int, strict_number
from clinic.web.locks import record_lock_notice
from clinic.web.queries import flash_left_open, flash_raised
from clinic.web.signatures import needs_email

bp = Blueprint("patients", __name__, url_prefix="/patients")
CHARTED = ("vas", "nrs", "odi", "ndi")


@bp.route("")
@any_user
def index() -> str:
    session = get_session()
    site = site_asked(session, request.args.get("site"))
    if site is not None and site_filter(site) != site:  # a nurse sees her own site only
        flash("You see the patients of your own site only.", "info")
    arm = request.args.get("arm", type=form_int)
    code = request.args.get("code", "").strip()[:30]
    asked = request.args.get("study", "").strip()
    study = study_or_404(session, asked) if asked else None
    cursor = request.args.get("cursor") or None
    chosen = PatientFilter(site_id=site_filter(site), arm_id=arm, code=code,
                           study_id=study.id if study else None)
    try:
        page = patient_page(session, chosen, cursor=cursor)
    except ValidationError as error:  # a cursor that does not decode
        flash(error.errors["cursor"], "error")
        page = patient_page(session, chosen)
        cursor = None
    arms = _arms_by_study(session)
    return render_template("patients/index.html", page=page, rows=page.rows,
                           sites=all_sites(session), site=site, arm=arm, code=code,
                           arms=arms, studies=[s for s, _ in arms],
                           study=study.code if study else "", fixed_site=own_site_id(),
                           first_page=cursor is None)


def _arms_by_study(session: Any) -> list[tuple[str, list[StudyArm]]]:
    """The arms a patient can be in, under their study's code: two studies may both
    have an arm "CT" (a draft's arms hold nobody yet)."""
    rows = session.exec(select(Study.code, StudyArm).join(Study, Study.id == StudyArm.study_id)
                        .where(Study.status != "planning")
                        .order_by(Study.code, StudyArm.position)).all()
    grouped: dict[str, list[StudyArm]] = {}
    for code, arm in rows:
        grouped.setdefault(code, []).append(arm)
    return list(grouped.items())


@bp.route("/<int:patient_id>")
@any_user
def show(patient_id: int) -> str:
    session = get_session()
    patient = patient_or_404(session, patient_id)
    record = patient_record(session, patient, today=clinic_today(),
                            with_identity=sees_identity())
    queries = queries_of_patient(session, patient_id, not_closed_only=True)
    return render_template("patients/show.html", r=record, charts=trajectories(record),
                           history=history_sections(record),
                           next_reminder=next_reminder_for_patient(session, patient_id),
                           old_dates=told_an_old_date(session, patient_id=patient_id),
                           instruments=INSTRUMENTS,
                           can_enter=current_user.role in ENTERS_FOLLOW_UPS,
                           can_record=current_user.role in RECORDS_PROCEDURES,
                           can_edit=current_user.role in EDITS_CLINICAL_DATA,
                           window_deviation=window_deviation, today=clinic_today(),
                           links=_links(session, record),
                           by_link=_answers_by_link(session, patient_id),
                           field_label=field_label, value_words=value_words, getattr_=getattr,
                           child_rows=child_rows,
                           named_ids=named_ids(record),
                           zone=current_app.config["TIMEZONE"],
                           locks=_with_names(session, locks_of_patient(session, patient)),
                           can_lock=current_user.role in REVIEWS_COHORT,
                           can_unlock=current_user.role in MANAGES_STUDY,
                           signatures=signature_states(session, patient),
                           can_sign=current_user.role in SIGNS_DATA,
                           sign_needs_email=needs_email(),
                           patient_queries=queries, query_marks=markers(queries),
                           open_queries_words=not_closed_words(queries),
                           doses=dose_summaries(session, [row.procedure.id
                                                          for row in record.procedures]),
                           can_raise=current_user.role in RAISES_QUERIES)


def _with_names(session: Any, locks: list[Any]) -> list[tuple[Any, str]]:
    """Each lock with the name of who locked it."""
    from clinic.models import User

    return [(lock, (session.get(User, lock.locked_by_id).name if lock.locked_by_id else "")
             or "the system") for lock in locks]


def _answers_by_link(session: Any, patient_id: int) -> bool:
    """The patient consented to answer by link (a consent, not identifying data): visit
    reminders are not e-mailed to such a patient, the link e-mails take their place."""
    from sqlmodel import select

    from clinic.models import PatientIdentity

    return bool(session.exec(select(PatientIdentity.self_report_consent).where(
        PatientIdentity.patient_id == patient_id)).first())


def _links(session: Any, record: PatientRecord) -> dict[int, Any]:
    """Each visit's self-report story (sent, opened, started), for self-report studies."""
    specs = ladder_specs(session)
    study_of = {v.assessment.id: record.patient.study_id for v in record.visits}
    return visit_links(session, [v.assessment for v in record.visits], specs, study_of,
                       clinic_today())


def trajectories(record: PatientRecord) -> list[Any]:
    """One SVG per charted instrument, over the timepoints where it has a value."""
    charts = []
    for code in CHARTED:
        points = [(v.timepoint.label, v.scores[code].value) for v in record.visits
                  if code in v.scores and v.scores[code].value is not None]
        if points:
            inst = INSTRUMENTS[code]
            labels, values = [p[0] for p in points], [p[1] for p in points]
            charts.append(line_chart(labels, [Series(record.patient.study_code, values)],
                                     y_max=float(inst.max_value or 10),
                                     y_label=f"{code.upper()} ({inst.unit})",
                                     title=f"{inst.label} over time"))
    return charts


def named_ids(record: PatientRecord) -> dict[str, dict[int, str]]:
    """The rows a history value may point to by id, by the name the page gives them: a
    visit's index procedure reads "CT, 2026-12-01 09:30 CET", not 201."""
    procedures = [row.procedure for row in record.procedures]
    return {"procedure_id": {p.id: f"{MODALITIES.get(p.modality, p.modality)}, "  # type: ignore[misc]
                             f"{local_time(p.performed_at)}" for p in procedures},
            "arm_id": {record.arm.id: record.arm.code} if record.arm else {},  # type: ignore[dict-item]
            "site_id": {record.site.id: record.site.code}}  # type: ignore[dict-item]


def history_sections(record: PatientRecord) -> list[tuple[str, list[HistoryLine], int]]:
    """(title, readable history lines, corrections) per record of the patient, in reading
    order; a record with corrections is shown open."""
    p = record.patient
    keys: list[tuple[str, tuple[str, int], str | None]] = [
        ("Patient (baseline data)", ("patient", p.id), None)]  # type: ignore[list-item]
    if record.enrollment:
        keys.append(("Enrollment and allocation", ("enrollment", record.enrollment.id), None))  # type: ignore[arg-type]
    for row in record.procedures:
        keys.append((f"Procedure of {local_time(row.procedure.performed_at)}",
                     ("procedure", row.procedure.id), None))  # type: ignore[arg-type]
    for v in record.visits:
        keys.append((f"Follow-up {v.timepoint.label}", ("assessment", v.assessment.id), None))  # type: ignore[arg-type]
        keys += [(f"{INSTRUMENTS[c].label} at {v.timepoint.label}", ("score", s.id), c)  # type: ignore[misc]
                 for c, s in v.scores.items()]
        keys += [(f"{_instrument_label(c)} at {v.timepoint.label} (removed)", ("score", key),
                  c or None)
                 for key, c in removed_scores(record.audit, v.assessment.id,  # type: ignore[arg-type]
                                              (s.id for s in v.scores.values()))]  # type: ignore[misc]
    keys += [(f"Adverse event {e.onset_on.isoformat()}", ("adverse_event", e.id), None)  # type: ignore[misc]
             for e in record.adverse_events]
    sections = [(title, history_lines(record.audit[key], instrument))
                for title, key, instrument in keys if key in record.audit]
    return [(title, lines, corrections(lines)) for title, lines in sections]


def _instrument_label(code: str) -> str:
    return INSTRUMENTS[code].label if code in INSTRUMENTS else f"A score ({code or 'unknown'})"


@bp.route("/<int:patient_id>/edit", methods=["GET", "POST"])
@allow(*EDITS_CLINICAL_DATA)
def edit(patient_id: int) -> Any:
    session = get_session()
    patient = patient_or_404(session, patient_id)
    roots = laterality_roots(session, patient)
    values: Any = with_draft(_stored_values(session, patient))
    errors: dict[str, str] = {}
    if request.method == "POST":
        form_errors: dict[str, str] = {}  # the fields that did not read: named with the rest
        try:
            changed = edit_patient(session, patient=patient,
                                   read_version=request.form.get("version", type=form_int),
                                   changes=_changes(request.form, form_errors),
                                   reason=request.form.get("reason"),
                                   actor_id=current_user.id, today=clinic_today(),
                                   laterality={root: request.form[f"laterality_{root}"]
                                               for root in roots  # a field not sent: kept
                                               if f"laterality_{root}" in request.form})
            if form_errors:
                raise ValidationError(form_errors)
            asked = request.form.get("query", type=form_int)
            numbers = answer_queries_on_changes(
                session, query_id=asked, patient_id=patient.id, table="patient",  # type: ignore[arg-type]
                row_id=patient.id, changed=changed, reason=request.form.get("reason"),  # type: ignore[arg-type]
                actor_id=current_user.id)
            raised = raised_in(session)
            session.commit()
            flash(f"{patient.study_code}: changed {', '.join(field_label(c) for c in changed)}."
                  + "".join(f" Query #{n} is answered." for n in numbers), "success")
            flash_left_open(asked, changed)
            flash_raised(raised)
            return redirect(url_for("patients.show", patient_id=patient.id))
        except ValidationError as error:
            session.rollback()
            errors, values = _with_unread(error.errors, form_errors), request.form
        except ConflictError:
            reload_after_conflict(session, patient, "patient")
            return render_template("patients/edit.html", patient=patient,
                                   values=_stored_values(session, patient), errors={},
                                   sexes=SEXES, roots=roots, laterality=LATERALITY,
                                   lock=record_lock_notice(session, patient)), 409
    return render_template("patients/edit.html", patient=patient, values=values, errors=errors,
                           sexes=SEXES, roots=roots, laterality=LATERALITY,
                           lock=record_lock_notice(session, patient)), \
        422 if errors else 200


def _stored_values(session: Any, patient: Any) -> dict[str, str]:
    """The correction form's fields as stored: baseline data, laterality per root."""
    recorded = session.exec(select(RootLaterality).where(
        RootLaterality.patient_id == patient.id)).all()
    return ({name: "" if getattr(patient, name) is None else str(getattr(patient, name))
             for name in EDITABLE}
            | {f"laterality_{r.root}": r.laterality for r in recorded}
            | {"version": str(patient.version)})


def _with_unread(errors: dict[str, str], unread: dict[str, str]) -> dict[str, str]:
    """The service's problems and the fields that did not read; "nothing was changed"
    only when every field read (a change in an unreadable field is a change)."""
    if unread and errors.get("reason") == NOTHING_CHANGED:
        errors = {k: v for k, v in errors.items() if k != "reason"}
    return {**errors, **unread}


def _changes(form: Any, errors: dict[str, str]) -> dict[str, Any]:
    """The changes the form asks for; a field that does not read is named in ``errors``
    and left out (the service checks the rest in the same round)."""
    changes: dict[str, Any] = {"sex": form.get("sex", ""),
                               "diagnosis": blank_to_none(form.get("diagnosis"))}
    for name in ("age_at_enrollment", "birth_year"):
        changes[name] = strict_int(form.get(name), name, errors)
    for name in ("bmi", "symptom_duration_months"):
        changes[name] = strict_number(form.get(name), name, errors)
    return {name: value for name, value in changes.items() if name not in errors}
