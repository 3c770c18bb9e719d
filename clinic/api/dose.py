"""API: import a DICOM Radiation Dose SR onto a procedure."""

from __future__ import annotations

from flask import abort, current_app, request
from flask_login import current_user
from werkzeug.wrappers import Response

from clinic.api.base import bp, ok
from clinic.api.schemas import DoseImportOut
from clinic.auth.roles import allow
from clinic.db import get_session
from clinic.exceptions import ValidationError
from clinic.models import Procedure
from clinic.web.access import RECORDS_PROCEDURES, patient_or_404


@bp.post("/procedures/<int:procedure_id>/dose-report")
@allow(*RECORDS_PROCEDURES)
def import_dose_report(procedure_id: int) -> Response:
    """The file as the body (Content-Type application/dicom) or as multipart field
    ``file``; the same checks as the procedure page."""
    from clinic.dose.rdsr import DoseReportError, read_rdsr
    from clinic.dose.service import import_report

    session = get_session()
    procedure = session.get(Procedure, procedure_id) or abort(404)
    patient_or_404(session, procedure.patient_id)
    upload = request.files.get("file")
    content = upload.read() if upload is not None else request.get_data()
    if not content:
        raise ValidationError({"file": "Send the RDSR file as the body (application/dicom) "
                                       "or as the multipart field 'file'."})
    try:
        report = read_rdsr(content)
    except DoseReportError as error:
        raise ValidationError({"file": str(error)}) from error
    result = import_report(session, procedure=procedure, report=report,
                           actor_id=current_user.id, timezone=current_app.config["TIMEZONE"])
    session.commit()
    return ok(DoseImportOut(sop_instance_uid=report.sop_instance_uid,
                            new_events=result.new_events, known_events=result.known_events,
                            filled=result.filled,
                            differing={k: list(v) for k, v in result.differing.items()}),
              201 if result.new_events else 200)
