"""API: a patient's adverse events, and their follow-up (severity, relatedness,
resolution) with a reason and a version check, as on the web form."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlmodel import select
from werkzeug.wrappers import Response

from clinic.api.base import body, bp, ok
from clinic.api.schemas import AdverseEventEdit
from clinic.api.serialize import adverse_event_out
from clinic.auth.roles import allow, any_user
from clinic.db import get_session
from clinic.models import AdverseEvent
from clinic.queries.service import answer_on_values
from clinic.safety.service import correct_adverse_event
from clinic.web.access import EDITS_CLINICAL_DATA, patient_or_404


@bp.get("/patients/<int:patient_id>/adverse-events")
@any_user
def list_adverse_events(patient_id: int) -> Response:
    session = get_session()
    patient = patient_or_404(session, patient_id)
    rows = session.exec(select(AdverseEvent).where(AdverseEvent.patient_id == patient.id)
                        .order_by(AdverseEvent.onset_on, AdverseEvent.id)).all()
    return ok([adverse_event_out(e) for e in rows])


@bp.put("/adverse-events/<int:event_id>")
@allow(*EDITS_CLINICAL_DATA)
def follow_up_adverse_event(event_id: int) -> Response:
    session = get_session()
    event = session.get(AdverseEvent, event_id) or abort(404)
    patient_or_404(session, event.patient_id)
    data = body(AdverseEventEdit)
    changed = correct_adverse_event(
        session, event=event, read_version=data.version, severity=data.severity,
        is_related=data.is_related,
        resolved_on=data.resolved_on if "resolved_on" in data.model_fields_set
        else event.resolved_on,  # left out: as recorded (it was cleared)
        notes=data.notes if "notes" in data.model_fields_set else event.notes,
        reason=data.reason, actor_id=current_user.id, event_type=data.event_type,
        onset_on=data.onset_on)
    answer_on_values(session, table="adverse_event", row_id=event.id, fields=changed,  # type: ignore[arg-type]
                     reason=data.reason, actor_id=current_user.id)
    session.commit()
    return ok(adverse_event_out(event))
