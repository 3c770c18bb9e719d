"""Correct a patient's baseline data: validated, with a reason, at the version read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlmodel import Session, select

from clinic.catalog import LATERALITY, NERVE_ROOTS
from clinic.edits import edit_with_reason, require_reason
from clinic.enrollment.inputs import PatientInput, validate_patient
from clinic.exceptions import ValidationError
from clinic.models import Patient, RootLaterality, Study
from clinic.queries.rules import run_rules_on_save
from clinic.studies.setup import study_roots

EDITABLE = ("sex", "age_at_enrollment", "birth_year", "bmi", "diagnosis",
            "symptom_duration_months")


def edit_patient(session: Session, *, patient: Patient, read_version: int | None,
                 changes: dict[str, Any], reason: str | None, actor_id: int | None,
                 today: date, laterality: Mapping[str, str] | None = None) -> list[str]:
    """Apply the changed baseline fields and, in ``laterality`` (root -> a LATERALITY
    code, or "" for not recorded), the radicular laterality at each root; returns the
    names of what changed. Every problem is named in one refusal, before anything is
    written."""
    values = {name: changes.get(name, getattr(patient, name)) for name in EDITABLE}
    errors: dict[str, str] = {}
    for check in (lambda: require_reason(reason), lambda: validate_patient(
            PatientInput(study_code=patient.study_code, **values), today)):
        try:
            check()
        except ValidationError as error:
            errors |= error.errors
    _on_the_changed_field(errors, patient, values)
    recorded = {r.root: r for r in session.exec(select(RootLaterality).where(
        RootLaterality.patient_id == patient.id))}
    wanted = dict(laterality or {})
    errors |= _laterality_problems(wanted, laterality_roots(session, patient, recorded))
    if errors:
        raise ValidationError(errors)
    changed = edit_with_reason(session, patient, read_version=read_version, changes=values,
                               actor_id=actor_id, reason=reason,
                               children=lambda: _set_laterality(session, patient, recorded,
                                                                wanted))
    if "age_at_enrollment" in changed:  # an age the screening's criteria exclude: asked
        run_rules_on_save(session, patient.id, "patient")  # type: ignore[arg-type]
    return changed


def _on_the_changed_field(errors: dict[str, str], patient: Patient,
                          values: dict[str, Any]) -> None:
    """An age and a birth year that disagree are named at the one that was changed: a
    corrected birth year against the age kept was marked on the age, which nobody
    touched."""
    year_changed = values["birth_year"] != patient.birth_year
    age_kept = values["age_at_enrollment"] == patient.age_at_enrollment
    if "age_at_enrollment" in errors and year_changed and age_kept \
            and values["birth_year"] is not None and "birth_year" not in errors:
        errors["birth_year"] = (f"{errors.pop('age_at_enrollment')} The age recorded is "
                                f"{patient.age_at_enrollment}: check the year, or correct "
                                "the age too.")


def laterality_roots(session: Session, patient: Patient,
                     recorded: Mapping[str, Any] | None = None) -> list[str]:
    """The roots whose laterality a correction may set: those the study asks now and
    any recorded before an amendment stopped asking it, in anatomical order."""
    if recorded is None:
        recorded = {r: r for r in session.exec(select(RootLaterality.root).where(
            RootLaterality.patient_id == patient.id))}
    study = session.get(Study, patient.study_id)
    asked = set(study_roots(study)) if study is not None else set()
    return [root for root in NERVE_ROOTS if root in asked or root in recorded]


def _laterality_problems(wanted: Mapping[str, str], roots: list[str]) -> dict[str, str]:
    problems = {}
    for root, value in wanted.items():
        if root not in roots:
            problems[f"laterality_{root}"[:40]] = (
                f"The study does not ask the laterality at {root[:10]} (it asks "
                f"{', '.join(roots) or 'none'}).")
        elif value and value not in LATERALITY:
            problems[f"laterality_{root}"] = "Choose " + ", ".join(LATERALITY.values()) + \
                ", or leave it not recorded."
    return problems


def _set_laterality(session: Session, patient: Patient, recorded: dict[str, RootLaterality],
                    wanted: Mapping[str, str]) -> list[str]:
    """Write the lateralities that differ from what is recorded (one audited row each:
    created, changed or removed); returns "laterality at L4" for each."""
    changed = []
    for root, value in wanted.items():
        row = recorded.get(root)
        if row is not None and not value:
            session.delete(row)
        elif row is None and value:
            session.add(RootLaterality(patient_id=patient.id, root=root,  # type: ignore[arg-type]
                                       laterality=value))
        elif row is not None and row.laterality != value:
            row.laterality = value
            session.add(row)
        else:
            continue
        changed.append(f"laterality at {root}")
    return changed
