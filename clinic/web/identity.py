"""Contact data and reminder consent: only roles allowed to see identity."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.audit import set_actor
from clinic.auth.roles import allow
from clinic.catalog import ROLES_SEEING_IDENTITY
from clinic.db import get_session
from clinic.enrollment.inputs import IdentityInput
from clinic.exceptions import ConflictError, ValidationError
from clinic.models import Study
from clinic.patients.identity import identity_history, identity_of, update_identity
from clinic.selfreport.ladder import LadderSpec
from clinic.web.access import patient_or_404
from clinic.web.drafts import take_draft
from clinic.web.enroll_form import identity_from_form
from clinic.web.forms import form_int

bp = Blueprint("identity", __name__)


@bp.route("/patients/<int:patient_id>/contact", methods=["GET", "POST"])
@allow(*sorted(ROLES_SEEING_IDENTITY))
def edit(patient_id: int) -> Any:
    session = get_session()
    patient = patient_or_404(session, patient_id)
    errors: dict[str, str] = {}
    values: Any = take_draft(session, current_user.id) or _current(identity_of(session, patient))
    status, conflict = 200, None
    if request.method == "POST":
        values = request.form
        reason = request.form.get("reason")
        set_actor(session, current_user.id, reason)
        try:
            data = identity_from_form(request.form)
            update_identity(session, patient=patient, data=data,
                            reason=reason, read_version=form_int(request.form.get("version")))
            session.commit()
            flash(f"{patient.study_code}: contact data saved; reminders re-planned.", "success")
            warn_about_contact(session.get(Study, patient.study_id), data)
            return redirect(url_for("patients.show", patient_id=patient.id))
        except ValidationError as error:
            session.rollback()
            errors, status = error.errors, 422
        except ConflictError:
            session.rollback()
            conflict = {"typed": request.form, "changes": identity_history(session, patient.id,  # type: ignore[arg-type]
                                                                           limit=10)}
            values, status = _current(identity_of(session, patient)), 409
    study = session.get(Study, patient.study_id)
    body = render_template("patients/contact.html", patient=patient, values=values,
                           errors=errors, conflict=conflict,
                           asks_self_report=bool(study and study.self_report),
                           history=identity_history(session, patient.id))  # type: ignore[arg-type]
    return body, status


def warn_about_contact(study: Study | None, data: IdentityInput) -> None:
    """Contact data that is kept but will not work as the patient expects, in words:
    an address with letters beyond ASCII; a self-report link that asks for a date of
    birth nobody recorded."""
    if data.email and not data.email.isascii():
        flash(f"{data.email} holds letters beyond plain ASCII: a mail server that does not "
              "take such addresses (SMTPUTF8) refuses it, and the e-mail fails (Reminders "
              "lists it then). Check the address with the patient.", "warning")
    spec = LadderSpec.from_json(study.self_report) if study is not None else None
    if (spec is not None and spec.second_factor != "none" and data.self_report_consent
            and data.birth_date is None):
        flash("No date of birth is recorded: the study's self-report link asks for it first, "
              "so no link is sent until it is entered on the contact page.", "warning")


def _current(identity: Any) -> dict[str, str]:
    if identity is None:
        return {"version": ""}
    return {"name": identity.name, "mrn": identity.mrn or "", "phone": identity.phone or "",
            "email": identity.email or "",
            "birth_date": identity.birth_date.isoformat() if identity.birth_date else "",
            "reminder_consent": "yes" if identity.reminder_consent else "",
            "self_report_consent": "yes" if identity.self_report_consent else "",
            "language": identity.language,
            "version": str(identity.version)}
