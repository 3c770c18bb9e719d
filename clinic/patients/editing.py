"""Correct a patient's baseline data: validated, with a reason, at the version read."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from clinic.edits import edit_with_reason, require_reason
from clinic.enrollment.inputs import PatientInput, validate_patient
from clinic.models import Patient

EDITABLE = ("sex", "age_at_enrollment", "birth_year", "bmi", "diagnosis",
            "symptom_duration_months")


def edit_patient(session: Session, *, patient: Patient, read_version: int | None,
                 changes: dict[str, Any], reason: str | None, actor_id: int | None,
                 today: date) -> list[str]:
    """Apply the changed baseline fields; returns their names."""
    require_reason(reason)
    values = {name: changes.get(name, getattr(patient, name)) for name in EDITABLE}
    validate_patient(PatientInput(study_code=patient.study_code, **values), today)
    return edit_with_reason(session, patient, read_version=read_version, changes=values,
                            actor_id=actor_id, reason=reason)
