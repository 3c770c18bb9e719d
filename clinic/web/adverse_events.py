"""Follow an adverse event up: severity, relatedness, resolution; reason and version."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic import catalog
from clinic.audit.words import field_label
from clinic.auth.roles import allow
from clinic.db import get_session
from clinic.exceptions import ConflictError, ValidationError
from clinic.models import AdverseEvent
from clinic.queries.service import answer_queries_on_changes
from clinic.safety.service import NOTES_MAX, correct_adverse_event
from clinic.web.access import EDITS_CLINICAL_DATA, patient_or_404
from clinic.web.conflicts import reload_after_conflict
from clinic.web.drafts import with_draft
from clinic.web.forms import a_date, blank_to_none, form_int
from clinic.web.locks import record_lock_notice
from clinic.web.queries import flash_left_open

bp = Blueprint("adverse_events", __name__)


@bp.route("/adverse-events/<int:event_id>/edit", methods=["GET", "POST"])
@allow(*EDITS_CLINICAL_DATA)
def edit(event_id: int) -> Any:
    session = get_session()
    event = session.get(AdverseEvent, event_id) or abort(404)
    patient = patient_or_404(session, event.patient_id)
    errors: dict[str, str] = {}
    values: Any = with_draft(_current(event))
    typed: list[tuple[str, str]] = []  # after a conflict: what was typed and not saved
    status = 200
    if request.method == "POST":
        values, form = request.form, request.form
        resolved_on = a_date(form.get("resolved_on"), "resolved_on", errors, required=False)
        onset_on = a_date(form.get("onset_on"), "onset_on", errors, required=False)
        try:
            if errors:
                raise ValidationError(errors)
            reason = form.get("reason")
            changed = correct_adverse_event(
                session, event=event, read_version=form.get("version", type=form_int),
                severity=form.get("severity", ""), is_related=form.get("is_related") == "yes",
                resolved_on=resolved_on, notes=blank_to_none(form.get("notes")),
                reason=reason, actor_id=current_user.id,
                event_type=form.get("event_type") or None, onset_on=onset_on)
            asked = form.get("query", type=form_int)
            numbers = answer_queries_on_changes(
                session, query_id=asked, patient_id=event.patient_id, table="adverse_event",
                row_id=event.id, changed=changed, reason=reason, actor_id=current_user.id)  # type: ignore[arg-type]
            session.commit()
            flash(f"{patient.study_code}: adverse event updated "
                  f"({', '.join(field_label(c) for c in changed)})."
                  + "".join(f" Query #{n} is answered." for n in numbers), "success")
            flash_left_open(asked, changed)
            return redirect(url_for("patients.show", patient_id=patient.id))
        except ValidationError as error:
            session.rollback()
            errors, status = error.errors, 422
        except ConflictError:
            typed = _typed(request.form, _current(event))
            reload_after_conflict(session, event, "adverse event")
            values, status = _current(event), 409
    body = render_template("patients/adverse_event.html", patient=patient, event=event,
                           values=values, errors=errors, catalog=catalog, notes_max=NOTES_MAX,
                           typed=typed, lock=record_lock_notice(session, patient))
    return body, status


TYPED_FIELDS = (("event_type", "Complication"), ("onset_on", "Onset"), ("severity", "Severity"),
                ("is_related", "Related to the procedure"), ("resolved_on", "Resolved on"),
                ("notes", "Notes"), ("reason", "Reason for the change"))


def _typed(form: Any, stored: dict[str, str]) -> list[tuple[str, str]]:
    """What a form that lost the race held, field by field, where it differs from what
    was recorded before the reload (the reason always): shown beside the form, to copy."""
    words = {"event_type": catalog.ADVERSE_EVENT_TYPES, "severity": catalog.SEVERITIES,
             "is_related": {"yes": "Yes", "no": "No"}}
    return [(label, words.get(name, {}).get(form.get(name, ""), form.get(name, "")))
            for name, label in TYPED_FIELDS
            if (form.get(name) or "") != (stored.get(name) or "") and (form.get(name) or "")]


def _current(event: AdverseEvent) -> dict[str, str]:
    return {"event_type": event.event_type, "onset_on": event.onset_on.isoformat(),
            "severity": event.severity, "is_related": "yes" if event.is_related else "no",
            "resolved_on": event.resolved_on.isoformat() if event.resolved_on else "",
            "notes": event.notes or "", "version": str(event.version)}
