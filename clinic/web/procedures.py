"""Procedure entry and correction: the fields follow the modality; warnings for
implausible values."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import Session, col, select

from clinic import catalog
from clinic.audit import set_actor
from clinic.audit.words import field_label
from clinic.auth.roles import allow
from clinic.db import get_session
from clinic.exceptions import ConflictError, ValidationError
from clinic.models import Assessment, Patient, Procedure
from clinic.procedures.checks import (
    CHANGED_SINCE,
    allocated_arm,
    check_procedure_day,
    confirmation_errors,
    confirmed_words,
    procedure_checks,
    to_confirm,
    warning_key,
)
from clinic.procedures.corrections import correct_procedure, recorded_input, settled_checks
from clinic.procedures.inputs import CT_FIELDS, DAP_FIELDS, ProcedureInput
from clinic.procedures.service import record_procedure
from clinic.queries.service import answer_queries_on_changes
from clinic.web.access import RECORDS_PROCEDURES, patient_or_404
from clinic.web.conflicts import reload_after_conflict
from clinic.web.drafts import with_draft
from clinic.web.forms import form_int
from clinic.web.locks import record_lock_notice
from clinic.web.procedure_form import (
    INJECTATE_ROWS,
    TARGET_ROWS,
    form_values,
    procedure_from_form,
    row_count,
)
from clinic.web.queries import flash_left_open

bp = Blueprint("procedures", __name__)


def _recorded_words(session: Session, patient: Patient, procedure: Procedure) -> str:
    """A procedure dated after today is a planned one (the form takes up to a year
    ahead): its follow-ups are scheduled from that day. A repeat procedure leaves the
    follow-ups where the index procedure put them, and says so."""
    from zoneinfo import ZoneInfo

    from clinic.web.filters import clinic_today

    zone = ZoneInfo(current_app.config["TIMEZONE"])
    day = procedure.performed_at.astimezone(zone).date()
    anchor = session.exec(select(Assessment.procedure_id).where(
        Assessment.patient_id == patient.id, col(Assessment.procedure_id).is_not(None))
        .limit(1)).first()
    if anchor is not None and anchor != procedure.id:
        first = session.get(Procedure, anchor)
        since = f" of {first.performed_at.astimezone(zone):%Y-%m-%d}" if first else ""
        done = "planned for" if day > clinic_today() else "recorded on"
        return (f"{patient.study_code}: repeat procedure {done} {day:%Y-%m-%d}; the "
                f"follow-ups stay scheduled from the index procedure{since}.")
    if day > clinic_today():
        return (f"{patient.study_code}: procedure planned for {day:%Y-%m-%d}; follow-ups "
                "scheduled from that day (correct its date if it takes place on another).")
    return f"{patient.study_code}: procedure recorded; follow-ups scheduled."


@bp.route("/patients/<int:patient_id>/procedures/new", methods=["GET", "POST"])
@allow(*RECORDS_PROCEDURES)
def new(patient_id: int) -> Any:
    session = get_session()
    patient = patient_or_404(session, patient_id)
    errors: dict[str, str] = {}
    warnings: list[str] = []
    if request.method == "POST":
        try:
            data = procedure_from_form(request.form, current_app.config["TIMEZONE"],
                                       current_user.id)
            # a date refused outright comes before the warnings to confirm (it came after)
            check_procedure_day(session, patient, data.performed_at,
                                current_app.config["TIMEZONE"])
            warnings, data, blocked = _confirmed(session, patient, data, errors)
            if not blocked:
                set_actor(session, current_user.id, confirmed_words(warnings))
                procedure = record_procedure(session, patient=patient, data=data,
                                             timezone=current_app.config["TIMEZONE"])
                said = _recorded_words(session, patient, procedure)
                session.commit()
                _flash_saved(warnings, said)
                return redirect(url_for("patients.show", patient_id=patient.id))
        except ValidationError as error:
            session.rollback()
            errors = error.errors
    values = request.form if request.method == "POST" else with_draft(
        _allocated_modality(session, patient))
    return _form_page(patient, values, errors, warnings)


def _allocated_modality(session: Any, patient: Any) -> dict[str, str]:
    """A new procedure's form starts on the allocated arm's modality (a registry has
    none: its group follows the procedure)."""
    arm = allocated_arm(session, patient)
    return {"modality": arm.modality} if arm is not None else {}


@bp.route("/procedures/<int:procedure_id>/edit", methods=["GET", "POST"])
@allow(*RECORDS_PROCEDURES)
def correct(procedure_id: int) -> Any:
    """Correct any field of a recorded procedure, with a reason and a version check."""
    session = get_session()
    procedure = session.get(Procedure, procedure_id) or abort(404)
    patient = patient_or_404(session, procedure.patient_id)
    zone = current_app.config["TIMEZONE"]
    values: Any = with_draft(_recorded(session, procedure, zone))
    errors: dict[str, str] = {}
    warnings: list[str] = []
    status = 200
    if request.method == "POST":
        values = request.form
        try:
            data = procedure_from_form(request.form, zone, procedure.operator_id)
            warnings, data, blocked = _confirmed(session, patient, data, errors, procedure)
            if not blocked:
                changed = correct_procedure(
                    session, patient=patient, procedure=procedure, data=data,
                    read_version=request.form.get("version", type=form_int),
                    reason=request.form.get("reason"), actor_id=current_user.id,
                    timezone=zone, confirmed=confirmed_words(warnings))
                asked = request.form.get("query", type=form_int)
                numbers = answer_queries_on_changes(
                    session, query_id=asked, patient_id=patient.id, table="procedure",  # type: ignore[arg-type]
                    row_id=procedure.id, changed=changed, reason=request.form.get("reason"),  # type: ignore[arg-type]
                    actor_id=current_user.id)
                session.commit()
                _flash_saved(warnings, f"{patient.study_code}: procedure corrected "
                             f"({', '.join(field_label(c) for c in changed)})."
                             + "".join(f" Query #{n} is answered." for n in numbers))
                flash_left_open(asked, changed)
                return redirect(url_for("patients.show", patient_id=patient.id))
        except ValidationError as error:
            session.rollback()
            errors, status = error.errors, 422
        except ConflictError:
            reload_after_conflict(session, procedure, "procedure")
            values, warnings, status = _recorded(session, procedure, zone), [], 409
    return _form_page(patient, values, errors, warnings, procedure=procedure, status=status)


def _confirmed(session: Session, patient: Patient, data: ProcedureInput,
               errors: dict[str, str], correcting: Procedure | None = None,
               ) -> tuple[list[str], ProcedureInput, bool]:
    """The plausibility warnings and protocol deviations to confirm (a correction's:
    those its recorded values did not raise already, see ``settled_checks``), the data
    to save (a deviation reason only when there is a deviation), and whether saving must
    wait: for the confirmation, or for a deviation's reason (added to ``errors``)."""
    zone = current_app.config["TIMEZONE"]
    warnings, deviations = procedure_checks(
        session, patient, data, timezone=zone,
        correcting=correcting.id if correcting is not None else None)
    settled = settled_checks(session, patient, correcting, timezone=zone)
    problems = confirmation_errors(
        warnings, deviations, confirmed=request.form.get("confirm_warnings") == "yes",
        reason=data.deviation_reason, shown=(request.form.get("warned") or "").split() or None,
        settled=settled)
    errors |= {k: v for k, v in problems.items()
               if k != "confirm_warnings" or v == CHANGED_SINCE}
    if not deviations:
        data = replace(data, deviation_reason=None)
    return to_confirm(warnings, deviations, settled), data, bool(problems)


def _flash_saved(confirmed: list[str], said: str) -> None:
    """Each warning the save was confirmed over, then what was saved: at entry and in a
    correction alike."""
    for warning in confirmed:
        flash(f"Saved with a warning: {warning}", "warning")
    flash(said, "success")


def _recorded(session: Session, procedure: Procedure, zone: str) -> dict[str, str]:
    return form_values(recorded_input(session, procedure), zone) | {
        "version": str(procedure.version)}


def _form_page(patient: Patient, values: Any, errors: dict[str, str], warnings: list[str],
               procedure: Procedure | None = None, status: int | None = None) -> Any:
    body = render_template(
        "procedures/new.html", patient=patient, procedure=procedure, values=values,
        errors=errors, warnings=warnings, warned=[warning_key(w) for w in warnings],
        catalog=catalog,
        target_rows=range(row_count(values, "target", TARGET_ROWS)),
        injectate_rows=range(row_count(values, "injectate", INJECTATE_ROWS)),
        dap_modalities=" ".join(sorted(catalog.MODALITIES_WITH_DAP)),
        ct_modalities=" ".join(sorted(catalog.MODALITIES_WITH_CT_DOSE)),
        dap_fields=DAP_FIELDS, ct_fields=CT_FIELDS,
        lock=record_lock_notice(get_session(), patient))
    return body, status or (422 if errors else 200)
