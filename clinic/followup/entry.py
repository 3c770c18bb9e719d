"""One follow-up entry as the forms and the API submit it: scores, mode, medication and
an adverse event, validated together and stored together (or not at all)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from clinic.audit import set_actor
from clinic.catalog import ADVERSE_EVENT_TYPES, MEDICATION_CLASSES, NUMBER_BOUNDS, SEVERITIES
from clinic.edits import claim
from clinic.exceptions import ValidationError
from clinic.followup.service import record_follow_up
from clinic.models import Assessment, Medication, Patient, Score
from clinic.safety.service import record_adverse_event

DOSE_MAX = int(NUMBER_BOUNDS["daily_dose_mg"][1])
DRUG_MAX, NOTES_MAX = 60, 2000


@dataclass(frozen=True)
class AdverseEventInput:
    event_type: str
    onset_on: date | None
    severity: str | None
    is_related: bool = True
    notes: str | None = None


@dataclass(frozen=True)
class MedicationInput:
    med_class: str | None
    drug: str | None
    daily_dose_mg: float | None


@dataclass(frozen=True)
class FollowUpEntry:
    entries: dict[str, Any]
    mode: str
    read_version: int | None
    adverse_event: AdverseEventInput | None = None
    medications: tuple[MedicationInput, ...] = field(default_factory=tuple)


def check_extras(entry: FollowUpEntry) -> dict[str, str]:
    """Errors in the adverse event and medication parts (pure)."""
    errors: dict[str, str] = {}
    ae = entry.adverse_event
    if ae is not None:
        if ae.event_type not in ADVERSE_EVENT_TYPES:
            errors["ae.event_type"] = "Choose a complication type from the list."
        if ae.onset_on is None:
            errors["ae.onset_on"] = "Enter the date the event began."
        if ae.severity not in SEVERITIES:
            errors["ae.severity"] = "Choose the severity."
    for i, med in enumerate(entry.medications):
        if med.med_class not in MEDICATION_CLASSES:
            errors[f"med.{i}.med_class"] = "Choose the class: opioid, NSAID or gabapentinoid."
        if not (med.drug or "").strip():
            errors[f"med.{i}.drug"] = "Name the drug."
        if med.daily_dose_mg is None or not 0 <= med.daily_dose_mg <= DOSE_MAX:
            errors[f"med.{i}.daily_dose_mg"] = f"Enter the daily dose in mg (0 to {DOSE_MAX:,})."
        if len((med.drug or "").strip()) > DRUG_MAX:
            errors[f"med.{i}.drug"] = f"Use at most {DRUG_MAX} characters."
    if ae is not None and ae.notes is not None and len(ae.notes) > NOTES_MAX:
        errors["ae.notes"] = f"Keep the notes under {NOTES_MAX} characters."
    return errors


def save_follow_up(session: Session, *, assessment: Assessment, patient: Patient,
                   entry: FollowUpEntry, actor_id: int | None) -> list[Score]:
    """Everything is checked before anything is kept; the caller commits once."""
    errors = check_extras(entry)
    set_actor(session, actor_id, None)
    claim(session, assessment, entry.read_version)
    try:
        scores = record_follow_up(session, assessment=assessment, entries=entry.entries,
                                  mode=entry.mode, actor_id=actor_id, claimed=True)
    except ValidationError as error:
        raise ValidationError({**error.errors, **errors}) from error
    if errors:
        raise ValidationError(errors)
    _store_extras(session, assessment, patient, entry)
    return scores


def _store_extras(session: Session, assessment: Assessment, patient: Patient,
                  entry: FollowUpEntry) -> None:
    ae = entry.adverse_event
    if ae is not None and ae.onset_on is not None and ae.severity is not None:
        record_adverse_event(session, patient=patient, event_type=ae.event_type,
                             onset_on=ae.onset_on, severity=ae.severity,
                             is_related=ae.is_related, assessment_id=assessment.id,
                             procedure_id=assessment.procedure_id, notes=ae.notes)
    for med in entry.medications:
        session.add(Medication(assessment_id=assessment.id, med_class=med.med_class or "",  # type: ignore[arg-type]
                               drug=(med.drug or "").strip(),
                               daily_dose_mg=med.daily_dose_mg or 0.0))
    session.flush()


def skip_follow_up(session: Session, *, assessment: Assessment, read_version: int | None,
                   reason: str, actor_id: int | None) -> Assessment:
    """Mark a follow-up not done, with its reason (kept in the audit trail too)."""
    from clinic.followup.service import mark_not_done

    set_actor(session, actor_id, reason.strip() or None)
    claim(session, assessment, read_version)
    return mark_not_done(session, assessment=assessment, reason=reason, actor_id=actor_id,
                         claimed=True)
