"""Import a dose report (DICOM RDSR) on the patient page, onto one procedure."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from clinic.audit.words import field_label
from clinic.auth.roles import allow
from clinic.db import get_session
from clinic.exceptions import LockedError, ValidationError
from clinic.models import Procedure
from clinic.web.access import RECORDS_PROCEDURES, patient_or_404

bp = Blueprint("dose", __name__)


@bp.post("/procedures/<int:procedure_id>/dose-report")
@allow(*RECORDS_PROCEDURES)
def upload(procedure_id: int) -> Response:
    from clinic.dose.rdsr import DoseReportError, read_rdsr
    from clinic.dose.service import import_report

    session = get_session()
    procedure = session.get(Procedure, procedure_id) or abort(404)
    patient = patient_or_404(session, procedure.patient_id)
    back = redirect(url_for("patients.show", patient_id=patient.id) + f"#procedure-{procedure.id}")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose the dose report file (RDSR) first.", "error")
        return back
    try:
        report = read_rdsr(upload.read())
        result = import_report(session, procedure=procedure, report=report,
                               actor_id=current_user.id,
                               timezone=current_app.config["TIMEZONE"])
        session.commit()
    except DoseReportError as error:
        session.rollback()
        flash(f"Not imported: {error}", "error")
        return back
    except ValidationError as error:
        session.rollback()
        flash("Not imported: " + "; ".join(error.errors.values()), "error")
        return back
    except LockedError as error:
        session.rollback()
        flash(f"Not imported: {error}", "error")
        return back
    parts = [f"{result.new_events} new irradiation event(s)"
             + (f", {result.known_events} known already" if result.known_events else "")]
    parts += [f"{field_label(k)} set to {v:g}" for k, v in result.filled.items()]
    parts += [f"{field_label(k)}: typed {t:g}, the report says {r:g} (not overwritten: "
              "correct the procedure with a reason to take it)"
              for k, (t, r) in result.differing.items()]
    flash(f"{patient.study_code}: dose report imported. " + "; ".join(parts) + ".",
          "warning" if result.differing else "success")
    return back
