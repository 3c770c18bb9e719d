"""Correct a procedure's date and time: the pending follow-ups move with it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.auth.roles import allow
from clinic.db import get_session
from clinic.exceptions import ConflictError, ValidationError
from clinic.models import Procedure
from clinic.procedures.service import reschedule_procedure
from clinic.web.access import RECORDS_PROCEDURES, patient_or_404
from clinic.web.conflicts import reload_after_conflict
from clinic.web.drafts import with_draft
from clinic.web.forms import form_int, local_datetime
from clinic.web.locks import record_lock_notice

bp = Blueprint("reschedule", __name__)


@bp.route("/procedures/<int:procedure_id>/reschedule", methods=["GET", "POST"])
@allow(*RECORDS_PROCEDURES)
def edit(procedure_id: int) -> Any:
    session = get_session()
    procedure = session.get(Procedure, procedure_id) or abort(404)
    patient = patient_or_404(session, procedure.patient_id)
    zone = current_app.config["TIMEZONE"]
    errors: dict[str, str] = {}
    values: Any = with_draft(_current(procedure, zone))
    status = 200
    if request.method == "POST":
        values = request.form
        when = local_datetime(request.form.get("performed_at"), zone, "performed_at", errors)
        try:
            if errors:
                raise ValidationError(errors)
            reschedule_procedure(session, patient=patient, procedure=procedure,
                                 performed_at=when,
                                 read_version=request.form.get("version", type=form_int),
                                 reason=request.form.get("reason"), actor_id=current_user.id,
                                 timezone=zone)
            session.commit()
            flash(f"{patient.study_code}: procedure moved; pending follow-ups re-planned.",
                  "success")
            return redirect(url_for("patients.show", patient_id=patient.id))
        except ValidationError as error:
            session.rollback()
            errors, status = error.errors, 422
        except ConflictError:
            reload_after_conflict(session, procedure, "procedure")
            values, status = _current(procedure, zone), 409
    body = render_template("procedures/reschedule.html", patient=patient, procedure=procedure,
                           values=values, errors=errors,
                           lock=record_lock_notice(session, patient))
    return body, status


def _current(procedure: Procedure, zone: str) -> dict[str, str]:
    from zoneinfo import ZoneInfo

    local = procedure.performed_at.astimezone(ZoneInfo(zone))
    return {"performed_at": local.strftime("%Y-%m-%dT%H:%M"), "version": str(procedure.version)}
