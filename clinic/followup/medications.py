"""The analgesics taken around a visit: checked, stored at entry, corrected later."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest

from sqlmodel import Session, select

from clinic.catalog import MEDICATION_CLASSES, NUMBER_BOUNDS
from clinic.models import Assessment, Medication

DOSE_MAX = int(NUMBER_BOUNDS["daily_dose_mg"][1])
DRUG_MAX = 60


@dataclass(frozen=True)
class MedicationInput:
    med_class: str | None
    drug: str | None
    daily_dose_mg: float | None


def medication_errors(medications: Sequence[MedicationInput]) -> dict[str, str]:
    """Each row's problems, named ``med.{row}.{field}`` (pure)."""
    errors: dict[str, str] = {}
    for i, med in enumerate(medications):
        if med.med_class not in MEDICATION_CLASSES:
            errors[f"med.{i}.med_class"] = "Choose the class: opioid, NSAID or gabapentinoid."
        if not (med.drug or "").strip():
            errors[f"med.{i}.drug"] = "Name the drug."
        if med.daily_dose_mg is None or not 0 <= med.daily_dose_mg <= DOSE_MAX:
            errors[f"med.{i}.daily_dose_mg"] = (f"Enter the daily dose in mg (0 to "
                                                f"{DOSE_MAX:g}), digits only.")
        if len((med.drug or "").strip()) > DRUG_MAX:
            errors[f"med.{i}.drug"] = f"Use at most {DRUG_MAX} characters."
    return errors


def medications_of(session: Session, assessment: Assessment) -> list[Medication]:
    return list(session.exec(select(Medication).where(
        Medication.assessment_id == assessment.id).order_by(Medication.id)).all())  # type: ignore[arg-type]


def add_medications(session: Session, assessment: Assessment,
                    medications: Sequence[MedicationInput]) -> None:
    session.add_all([_row(assessment, med) for med in medications])


def replace_medications(session: Session, assessment: Assessment,
                        medications: Sequence[MedicationInput]) -> bool:
    """The visit's medications as ``medications`` lists them, row for row: a row that
    differs is changed in place (its audit shows the old and new dose), rows beyond the
    list are deleted, new ones added. True when anything changed."""
    changed = False
    for row, med in zip_longest(medications_of(session, assessment), medications):
        if med is None:
            session.delete(row)
            changed = True
        elif row is None:
            session.add(_row(assessment, med))
            changed = True
        else:
            new = _row(assessment, med)
            for name in ("med_class", "drug", "daily_dose_mg"):
                if getattr(row, name) != getattr(new, name):
                    setattr(row, name, getattr(new, name))
                    changed = True
    return changed


def _row(assessment: Assessment, med: MedicationInput) -> Medication:
    return Medication(assessment_id=assessment.id, med_class=med.med_class or "",  # type: ignore[arg-type]
                      drug=(med.drug or "").strip(), daily_dose_mg=med.daily_dose_mg or 0.0)
