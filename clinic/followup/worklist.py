"""The nurse's worklist: follow-ups due today, overdue and upcoming (read-only query)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import asc, desc, null
from sqlmodel import Session, select

from clinic.models import Assessment, Patient, PatientIdentity, Site, StudyArm, StudyTimepoint
from clinic.models.enrollment import Enrollment
from clinic.scheduling.status import status_case

WORKLIST_STATUSES = ("due", "overdue", "upcoming")
SORT_KEYS = {
    "target": Assessment.target_date,
    "window": Assessment.window_close,
    "code": Patient.study_code,
    "timepoint": StudyTimepoint.position,
    "site": Site.code,
}
_STATUS_ORDER = {"overdue": 0, "due": 1, "upcoming": 2}


@dataclass(frozen=True)
class WorklistRow:
    assessment_id: int
    patient_id: int
    study_code: str
    site_code: str
    arm_code: str
    timepoint: str
    target_date: date
    window_open: date
    window_close: date
    status: str
    version: int
    phone: str | None = None
    email: str | None = None


def worklist(session: Session, *, today: date, site_id: int | None = None,
             statuses: tuple[str, ...] = WORKLIST_STATUSES, upcoming_days: int = 14,
             sort: str = "status", descending: bool = False,
             with_identity: bool = False) -> list[WorklistRow]:
    """Pending follow-ups by derived status; ``with_identity`` adds phone and e-mail."""
    status = status_case(today).label("status")
    contact = ((PatientIdentity.phone, PatientIdentity.email) if with_identity
               else (null().label("phone"), null().label("email")))
    query = (select(Assessment, Patient.study_code, Site.code, StudyArm.code,
                    StudyTimepoint.label, status, *contact)
             .join(Patient, Patient.id == Assessment.patient_id)
             .join(Site, Site.id == Patient.site_id)
             .join(StudyTimepoint, StudyTimepoint.id == Assessment.timepoint_id)
             .join(Enrollment, Enrollment.patient_id == Patient.id)
             .join(StudyArm, StudyArm.id == Enrollment.arm_id, isouter=True)
             .where(Assessment.state == "pending", status.in_(statuses),
                    Assessment.window_open <= today + timedelta(days=upcoming_days)))
    if with_identity:
        query = query.join(PatientIdentity, PatientIdentity.patient_id == Patient.id, isouter=True)
    if site_id is not None:
        query = query.where(Patient.site_id == site_id)
    column = SORT_KEYS.get(sort)
    if column is not None:
        query = query.order_by(desc(column) if descending else asc(column), Assessment.id)
    rows = [_row(r) for r in session.exec(query).all()]
    if column is None:  # by urgency: overdue, due, upcoming; then by date
        rows.sort(key=lambda r: (_STATUS_ORDER.get(r.status, 9), r.target_date, r.study_code),
                  reverse=descending)
    return rows


def _row(r: tuple) -> WorklistRow:  # type: ignore[type-arg]
    a, code, site, arm, label, status, phone, email = r
    return WorklistRow(a.id, a.patient_id, code, site, arm, label, a.target_date, a.window_open,
                       a.window_close, status, a.version, phone, email)
