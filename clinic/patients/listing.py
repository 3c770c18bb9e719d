"""The patient list: study code, site, arm, enrollment status and next follow-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from clinic.models import Assessment, Enrollment, Patient, Site, StudyArm


@dataclass(frozen=True)
class PatientRow:
    patient_id: int
    study_code: str
    site_code: str
    arm_code: str
    arm_label: str
    enrolled_on: date
    status: str
    next_due: date | None


def patient_rows(session: Session, *, site_id: int | None = None, arm_id: int | None = None,
                 code: str | None = None, limit: int = 1000) -> list[PatientRow]:
    next_due = (select(Assessment.patient_id, func.min(Assessment.target_date).label("next_due"))
                .where(Assessment.state == "pending").group_by(Assessment.patient_id)
                .subquery())
    query = (select(Patient.id, Patient.study_code, Site.code, StudyArm.code, StudyArm.label,
                    Enrollment.enrolled_on, Enrollment.status, next_due.c.next_due)
             .join(Site, Site.id == Patient.site_id)
             .join(Enrollment, Enrollment.patient_id == Patient.id)
             .join(StudyArm, StudyArm.id == Enrollment.arm_id, isouter=True)
             .join(next_due, next_due.c.patient_id == Patient.id, isouter=True)
             .order_by(Patient.study_code).limit(limit))
    if site_id is not None:
        query = query.where(Patient.site_id == site_id)
    if arm_id is not None:
        query = query.where(Enrollment.arm_id == arm_id)
    if code:
        query = query.where(Patient.study_code.ilike(f"%{code.strip()}%"))  # type: ignore[attr-defined]
    return [PatientRow(*row) for row in session.exec(query).all()]
