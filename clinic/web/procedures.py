"""Procedure entry: the fields follow the modality; warnings for implausible values."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic import catalog
from clinic.audit import set_actor
from clinic.auth.roles import allow
from clinic.db import get_session
from clinic.exceptions import ValidationError
from clinic.procedures.checks import patient_warnings
from clinic.procedures.inputs import CT_FIELDS, DAP_FIELDS, validate_procedure
from clinic.procedures.service import record_procedure
from clinic.web.access import RECORDS_PROCEDURES, patient_or_404
from clinic.web.procedure_form import INJECTATE_ROWS, TARGET_ROWS, procedure_from_form

bp = Blueprint("procedures", __name__)


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
            validate_procedure(data)
            warnings = patient_warnings(session, patient, data)
            if not warnings or request.form.get("confirm_warnings") == "yes":
                set_actor(session, current_user.id, None)
                record_procedure(session, patient=patient, data=data,
                                 timezone=current_app.config["TIMEZONE"])
                session.commit()
                for warning in warnings:
                    flash(f"Saved with a warning: {warning}", "warning")
                flash(f"{patient.study_code}: procedure recorded; follow-ups scheduled.",
                      "success")
                return redirect(url_for("patients.show", patient_id=patient.id))
        except ValidationError as error:
            session.rollback()
            errors = error.errors
    body = render_template("procedures/new.html", patient=patient, values=request.form,
                           errors=errors, warnings=warnings, catalog=catalog,
                           target_rows=range(TARGET_ROWS), injectate_rows=range(INJECTATE_ROWS),
                           dap_modalities=" ".join(sorted(catalog.MODALITIES_WITH_DAP)),
                           ct_modalities=" ".join(sorted(catalog.MODALITIES_WITH_CT_DOSE)),
                           dap_fields=DAP_FIELDS, ct_fields=CT_FIELDS)
    return body, 422 if errors else 200
