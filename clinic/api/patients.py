"""API: patients (read, correct) and their procedures (read, record, correct)."""

from __future__ import annotations

from dataclasses import replace

from flask import abort, current_app, request
from flask_login import current_user
from sqlmodel import Session, select
from werkzeug.wrappers import Response

from clinic.api.base import body, bp, ok, paged, site_param, study_filter
from clinic.api.schemas import PatientPatch, ProcedureEdit, ProcedureIn
from clinic.api.serialize import patient_out, patient_row_out, procedure_out
from clinic.audit import set_actor
from clinic.auth.roles import allow, any_user
from clinic.db import get_session
from clinic.exceptions import ValidationError
from clinic.models import Patient, Procedure
from clinic.paging import page_limit
from clinic.patients.editing import edit_patient
from clinic.patients.listing import PatientFilter, patient_page
from clinic.procedures.checks import (
    confirmation_errors,
    confirmed_words,
    procedure_checks,
    to_confirm,
)
from clinic.procedures.corrections import correct_procedure, settled_checks
from clinic.procedures.inputs import InjectateInput, ProcedureInput, TargetInput, validate_procedure
from clinic.procedures.service import record_procedure
from clinic.queries.service import answer_on_values
from clinic.web.access import (
    EDITS_CLINICAL_DATA,
    RECORDS_PROCEDURES,
    patient_or_404,
    site_filter,
)
from clinic.web.filters import clinic_today


@bp.get("/patients")
@any_user
def list_patients() -> Response:
    errors: dict[str, str] = {}
    site = site_param(request.args.get("site"), errors)
    study = study_filter(request.args.get("study"), errors)
    if errors:
        raise ValidationError(errors)
    f = PatientFilter(site_id=site_filter(site), code=(request.args.get("code") or "")[:30],
                      study_id=study)
    page = patient_page(get_session(), f, cursor=request.args.get("cursor"),
                        limit=page_limit(request.args.get("limit")), count=False)
    return paged([patient_row_out(r) for r in page.rows], page.next_cursor)


@bp.get("/patients/<int:patient_id>")
@any_user
def get_patient(patient_id: int) -> Response:
    session = get_session()
    return ok(patient_out(session, patient_or_404(session, patient_id)))


@bp.patch("/patients/<int:patient_id>")
@allow(*EDITS_CLINICAL_DATA)
def patch_patient(patient_id: int) -> Response:
    session = get_session()
    patient = patient_or_404(session, patient_id)
    data = body(PatientPatch)
    changes = data.model_dump(include=data.model_fields_set - {"version", "reason",
                                                               "root_laterality"})
    changed = edit_patient(session, patient=patient, read_version=data.version,
                           changes=changes, reason=data.reason, actor_id=current_user.id,
                           today=clinic_today(), laterality=data.root_laterality)
    answer_on_values(session, table="patient", row_id=patient.id, fields=changed,  # type: ignore[arg-type]
                     reason=data.reason, actor_id=current_user.id)
    session.commit()
    return ok(patient_out(session, patient))


@bp.get("/patients/<int:patient_id>/procedures")
@any_user
def list_procedures(patient_id: int) -> Response:
    session = get_session()
    patient = patient_or_404(session, patient_id)
    rows = session.exec(select(Procedure).where(Procedure.patient_id == patient.id)
                        .order_by(Procedure.performed_at)).all()
    return ok([procedure_out(session, p) for p in rows])


@bp.post("/patients/<int:patient_id>/procedures")
@allow(*RECORDS_PROCEDURES)
def create_procedure(patient_id: int) -> Response:
    session = get_session()
    patient = patient_or_404(session, patient_id)
    data = body(ProcedureIn)
    proc_input = _procedure_input(data, operator_id=current_user.id)
    warnings, proc_input = _checked(session, patient, data, proc_input, correcting=None)
    set_actor(session, current_user.id, confirmed_words(warnings))
    procedure = record_procedure(session, patient=patient, data=proc_input,
                                 timezone=current_app.config["TIMEZONE"])
    session.commit()
    return ok(procedure_out(session, procedure, warnings), 201)


@bp.put("/procedures/<int:procedure_id>")
@allow(*RECORDS_PROCEDURES)
def correct_procedure_record(procedure_id: int) -> Response:
    session = get_session()
    procedure = session.get(Procedure, procedure_id) or abort(404)
    patient = patient_or_404(session, procedure.patient_id)
    data = body(ProcedureEdit)
    proc_input = _procedure_input(data, operator_id=procedure.operator_id)
    warnings, proc_input = _checked(session, patient, data, proc_input, correcting=procedure)
    changed = correct_procedure(session, patient=patient, procedure=procedure, data=proc_input,
                                read_version=data.version, reason=data.reason,
                                actor_id=current_user.id,
                                timezone=current_app.config["TIMEZONE"],
                                confirmed=confirmed_words(warnings))
    answer_on_values(session, table="procedure", row_id=procedure.id, fields=changed,  # type: ignore[arg-type]
                     reason=data.reason, actor_id=current_user.id)
    session.commit()
    return ok(procedure_out(session, procedure, warnings))


def _procedure_input(data: ProcedureIn, operator_id: int | None) -> ProcedureInput:
    values = data.model_dump(exclude={"targets", "injectates", "confirm_warnings", "version",
                                      "reason"})
    return ProcedureInput(
        **values, operator_id=operator_id,
        targets=tuple(TargetInput(t.level, t.side) for t in data.targets),
        injectates=tuple(InjectateInput(**i.model_dump()) for i in data.injectates))


def _checked(session: Session, patient: Patient, data: ProcedureIn, proc_input: ProcedureInput,
             correcting: Procedure | None) -> tuple[list[str], ProcedureInput]:
    """Validation errors raise; plausibility warnings need ``confirm_warnings``, protocol
    deviations that and a ``deviation_reason`` (kept only when there is a deviation). A
    correction is asked only about those its recorded values did not raise already (see
    ``settled_checks``), as the form does; they are what it returns."""
    validate_procedure(proc_input)
    zone = current_app.config["TIMEZONE"]
    warnings, deviations = procedure_checks(
        session, patient, proc_input, timezone=zone,
        correcting=correcting.id if correcting is not None else None)
    settled = settled_checks(session, patient, correcting, timezone=zone)
    asked = to_confirm(warnings, deviations, settled)
    problems = confirmation_errors(warnings, deviations, confirmed=data.confirm_warnings,
                                   reason=proc_input.deviation_reason, settled=settled)
    if "confirm_warnings" in problems:
        new_deviation = any(d in asked for d in deviations)
        raise ValidationError({"confirm_warnings": "Check, then resend with confirm_warnings: "
                                                   "true" + (" and a deviation_reason"
                                                             if new_deviation else "")
                                                   + ". " + " ".join(asked)})
    if problems:
        raise ValidationError(problems)
    if not deviations:
        proc_input = replace(proc_input, deviation_reason=None)
    return asked, proc_input
