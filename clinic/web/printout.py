"""The patient's record as a PDF, with its locks and signatures (pseudonymised)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from clinic.auth.roles import any_user
from clinic.db import get_session
from clinic.dose.service import dose_summaries
from clinic.locks.service import locks_of_patient
from clinic.models import Study, User
from clinic.models.base import utcnow
from clinic.patients.overview import patient_record
from clinic.queries.service import queries_of_patient
from clinic.signatures.service import signature_states
from clinic.web.access import patient_or_404
from clinic.web.downloads import attachment
from clinic.web.filters import clinic_today

bp = Blueprint("printout", __name__)


@bp.route("/patients/<int:patient_id>/record.pdf")
@any_user
def patient_pdf(patient_id: int) -> Response:
    from clinic.sheets.patient_record import (  # ReportLab: on first use
        LockLine,
        QueryLine,
        SignatureLine,
        patient_record_pdf,
    )

    session = get_session()
    patient = patient_or_404(session, patient_id)
    record = patient_record(session, patient, today=clinic_today(), with_identity=False)
    study = session.get(Study, patient.study_id)
    assert study is not None
    labels = {v.assessment.id: v.timepoint.label for v in record.visits}
    locks = [LockLine(lock.level, lock.locked_at, _name(session, lock.locked_by_id),
                      labels.get(lock.assessment_id, "") if lock.assessment_id else "")
             for lock in locks_of_patient(session, patient)]
    signatures = [SignatureLine(s.signature.meaning, s.signature.printed_name,
                                s.signature.signed_at, s.signature.content_hash, s.valid)
                  for s in signature_states(session, patient)]
    queries = [QueryLine(q.id, q.status, q.label, q.text)  # type: ignore[arg-type]
               for q in queries_of_patient(session, patient_id, not_closed_only=True)]
    content = patient_record_pdf(record, study=f"{study.code} · {study.title}",
                                 zone=current_app.config["TIMEZONE"], printed_at=utcnow(),
                                 locks=locks, signatures=signatures, queries=queries,
                                 synthetic=study.is_synthetic,
                                 dose_reports={pid: d.sop_instance_uids for pid, d in
                                               dose_summaries(session, [
                                                   r.procedure.id for r in record.procedures
                                               ]).items()})
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": attachment(f"{patient.study_code}.pdf"),
                             "Cache-Control": "no-store"})


def _name(session: object, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None  # type: ignore[attr-defined]
    return user.name if user else "the system"


