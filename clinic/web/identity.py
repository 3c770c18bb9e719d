"""Contact data and reminder consent: only roles allowed to see identity."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.audit import set_actor
from clinic.auth.roles import allow
from clinic.catalog import ROLES_SEEING_IDENTITY
from clinic.db import get_session
from clinic.exceptions import ValidationError
from clinic.patients.identity import identity_of, update_identity
from clinic.web.access import patient_or_404
from clinic.web.enroll_form import identity_from_form

bp = Blueprint("identity", __name__)


@bp.route("/patients/<int:patient_id>/contact", methods=["GET", "POST"])
@allow(*sorted(ROLES_SEEING_IDENTITY))
def edit(patient_id: int) -> Any:
    session = get_session()
    patient = patient_or_404(session, patient_id)
    identity = identity_of(session, patient)
    errors: dict[str, str] = {}
    values: Any = _current(identity)
    if request.method == "POST":
        values = request.form
        reason = request.form.get("reason")
        set_actor(session, current_user.id, reason)
        try:
            update_identity(session, patient=patient, data=identity_from_form(request.form),
                            reason=reason)
            session.commit()
            flash(f"{patient.study_code}: contact data saved; reminders re-planned.", "success")
            return redirect(url_for("patients.show", patient_id=patient.id))
        except ValidationError as error:
            session.rollback()
            errors = error.errors
    body = render_template("patients/contact.html", patient=patient, values=values,
                           errors=errors)
    return body, 422 if errors else 200


def _current(identity: Any) -> dict[str, str]:
    if identity is None:
        return {}
    return {"name": identity.name, "mrn": identity.mrn or "", "phone": identity.phone or "",
            "email": identity.email or "",
            "reminder_consent": "yes" if identity.reminder_consent else ""}
