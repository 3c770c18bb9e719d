"""Record adverse events, validated at the edge and constrained in the database."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from clinic.catalog import ADVERSE_EVENT_TYPES, SEVERITIES
from clinic.edits import edit_with_reason
from clinic.exceptions import ValidationError
from clinic.models import AdverseEvent, Enrollment, Patient, Procedure
from clinic.queries.service import relabel_queries

NOTES_MAX = 2000


def record_adverse_event(session: Session, *, patient: Patient, event_type: str, onset_on: date,
                         severity: str, is_related: bool = True, is_resolved: bool = False,
                         resolved_on: date | None = None, procedure_id: int | None = None,
                         assessment_id: int | None = None,
                         notes: str | None = None) -> AdverseEvent:
    errors = {}
    if event_type not in ADVERSE_EVENT_TYPES:
        errors["event_type"] = "Choose a complication type from the list."
    if severity not in SEVERITIES:
        errors["severity"] = "Choose the severity from the list."
    if resolved_on is not None and resolved_on < onset_on:
        errors["resolved_on"] = "Resolution cannot be before the onset."
    errors |= _future(onset_on=onset_on, resolved_on=resolved_on)
    errors |= _too_early(session, patient.id, procedure_id, onset_on, is_related)  # type: ignore[arg-type]
    if notes is not None and len(notes) > NOTES_MAX:
        errors["notes"] = f"Keep the notes under {NOTES_MAX} characters."
    if errors:
        raise ValidationError(errors)
    event = AdverseEvent(patient_id=patient.id, event_type=event_type, onset_on=onset_on,  # type: ignore[arg-type]
                         severity=severity, is_related=is_related,
                         is_resolved=is_resolved or resolved_on is not None,
                         resolved_on=resolved_on, procedure_id=procedure_id,
                         assessment_id=assessment_id, notes=notes)
    session.add(event)
    session.flush()
    return event


def _too_early(session: Session, patient_id: int, procedure_id: int | None, onset_on: date,
               is_related: bool) -> dict[str, str]:
    """An onset before the patient's consent (the study collects adverse events from
    then on; before, it is medical history), or, for a complication related to the
    procedure, before the procedure (a day of grace: the procedure's day is taken in
    UTC)."""
    consent = session.exec(select(Enrollment.consent_on, Enrollment.enrolled_on).where(
        Enrollment.patient_id == patient_id)).first()
    since = (consent[0] or consent[1]) if consent else None
    if since is not None and onset_on < since:
        return {"onset_on": f"The onset is before the patient's consent ({since:%Y-%m-%d}): "
                            "the study records adverse events from the consent on (earlier "
                            "ones are medical history). Check the date."}
    procedure = session.get(Procedure, procedure_id) if procedure_id and is_related else None
    if procedure is not None and onset_on < procedure.performed_at.date() - timedelta(days=1):
        return {"onset_on": f"A complication related to the procedure cannot start before it "
                            f"(performed {procedure.performed_at:%Y-%m-%d}): check the onset, "
                            "or mark it not related."}
    return {}


def _future(**days: date | None) -> dict[str, str]:
    """Dates after today (one day of grace: the clinic's day may be ahead of the
    server's) are refused: a complication is recorded once it happened."""
    latest = date.today() + timedelta(days=1)
    return {name: FUTURE_DATE for name, day in days.items()
            if day is not None and day > latest}


FUTURE_DATE = "That date is in the future: record what has happened."


def correct_adverse_event(session: Session, *, event: AdverseEvent, read_version: int | None,
                          severity: str, is_related: bool, resolved_on: date | None,
                          notes: str | None, reason: str | None, actor_id: int | None,
                          event_type: str | None = None,
                          onset_on: date | None = None) -> list[str]:
    """Follow an event up (severity, relatedness, resolution), or correct what was
    recorded of it (its type and onset: ``None`` keeps them), with a reason and a
    version check; returns the fields that changed."""
    event_type = event.event_type if event_type is None else event_type
    onset_on = event.onset_on if onset_on is None else onset_on
    errors = {}
    if event_type not in ADVERSE_EVENT_TYPES:
        errors["event_type"] = "Choose a complication type from the list."
    elif event_type == "other" and not (notes or "").strip():
        errors["notes"] = "Say what happened: 'Other' is not in the list."
    if severity not in SEVERITIES:
        errors["severity"] = "Choose the severity from the list."
    if resolved_on is not None and resolved_on < onset_on:
        errors["resolved_on"] = "Resolution cannot be before the onset."
    errors |= _future(onset_on=onset_on, resolved_on=resolved_on)
    if "onset_on" not in errors:
        errors |= _too_early(session, event.patient_id, event.procedure_id, onset_on, is_related)
    if notes is not None and len(notes) > NOTES_MAX:
        errors["notes"] = f"Keep the notes under {NOTES_MAX} characters."
    if errors:
        raise ValidationError(errors)
    changes = {"event_type": event_type, "onset_on": onset_on, "severity": severity,
               "is_related": is_related, "resolved_on": resolved_on,
               "is_resolved": resolved_on is not None or event.is_resolved, "notes": notes}
    changed = edit_with_reason(session, event, read_version=read_version, changes=changes,
                               actor_id=actor_id, reason=reason)
    if {"event_type", "onset_on"} & set(changed):  # the queries' names of the event
        relabel_queries(session, "adverse_event", event.id)  # type: ignore[arg-type]
    return changed
