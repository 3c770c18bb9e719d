"""E-signing a patient's recorded data: the password again at every signing, and the
e-mail too at the first signing of a session (21 CFR Part 11 §11.200(a)(1))."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from clinic.auth.roles import allow
from clinic.catalog import SIGNATURE_MEANINGS, SIGNS_DATA
from clinic.db import get_session
from clinic.exceptions import ValidationError
from clinic.signatures.service import sign
from clinic.web.access import patient_or_404

bp = Blueprint("signatures", __name__)
SIGNED_IN_SESSION = "signed_in_session"


def needs_email() -> bool:
    """The first signing of this log-in session asks for the e-mail as well."""
    return session.get(SIGNED_IN_SESSION) != g.get("user_session_id")


@bp.post("/patients/<int:patient_id>/sign")
@allow(*SIGNS_DATA)
def create(patient_id: int) -> Response:
    db = get_session()
    patient = patient_or_404(db, patient_id)
    form = request.form
    try:
        signature = sign(db, patient=patient, signer=current_user._get_current_object(),  # type: ignore[attr-defined]
                         meaning=form.get("meaning", ""), password=form.get("password", ""),
                         email=form.get("email"), needs_email=needs_email())
        db.commit()
    except ValidationError as error:
        db.rollback()
        flash("Not signed: " + " ".join(error.errors.values()), "error")
        return redirect(url_for("patients.show", patient_id=patient_id) + "#signatures")
    session[SIGNED_IN_SESSION] = g.get("user_session_id")
    flash(f"{patient.study_code}: signed as “{SIGNATURE_MEANINGS[signature.meaning]}” by "
          f"{signature.printed_name}.", "success")
    return redirect(url_for("patients.show", patient_id=patient_id) + "#signatures")
