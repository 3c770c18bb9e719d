"""The nurse's worklist: today's calls first, then what comes up (read-only queries).

A follow-up's *call group* says how urgent the call is on a given day: due today (its
target date), overdue (past the target, window still open), the window closes within
three days, the window is open, upcoming (window not open yet). The derived status of
clinic.scheduling ("due" = window open, target not passed) stays what the grid and the
counts use; the worklist orders by the call group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import asc, desc, null
from sqlmodel import Session, select

from clinic.models import (
    Assessment,
    Patient,
    PatientIdentity,
    Site,
    Study,
    StudyArm,
    StudyTimepoint,
)
from clinic.models.enrollment import Enrollment

CLOSING_DAYS = 3
CALL_GROUPS = {
    "today": "Due today",
    "overdue": "Overdue (window still open)",
    "closing": f"Window closes within {CLOSING_DAYS} days",
    "open": "Window open",
    "upcoming": "Upcoming",
}
SORT_KEYS = {
    "target": Assessment.target_date,
    "window": Assessment.window_close,
    "code": Patient.study_code,
    "timepoint": StudyTimepoint.position,
    "site": Site.code,
}


def call_group(target: date, window_open: date, window_close: date, today: date) -> str:
    """How urgent the call is on ``today`` (pure; see the module docstring)."""
    if target == today:
        return "today"
    if target < today:
        return "overdue"
    if window_open > today:
        return "upcoming"
    if (window_close - today).days <= CLOSING_DAYS:
        return "closing"
    return "open"


@dataclass(frozen=True)
class WorklistRow:
    assessment_id: int
    patient_id: int
    study_code: str
    study: str
    is_synthetic: bool
    site_code: str
    arm_code: str
    timepoint: str
    target_date: date
    window_open: date
    window_close: date
    group: str
    version: int
    name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class WorklistFilter:
    today: date
    site_id: int | None = None
    study_id: int | None = None
    timepoint: str | None = None  # a timepoint code
    upcoming_days: int = 14


def worklist(session: Session, f: WorklistFilter, *, sort: str = "group",
             descending: bool = False, with_identity: bool = False) -> list[WorklistRow]:
    """Pending follow-ups whose window is open or opens within ``upcoming_days``."""
    query = _query(session, f, with_identity).where(
        Assessment.window_close >= f.today,
        Assessment.window_open <= f.today + timedelta(days=f.upcoming_days))
    column = SORT_KEYS.get(sort)
    if column is not None:
        query = query.order_by(desc(column) if descending else asc(column), Assessment.id)
    rows = [_row(r, f.today) for r in session.exec(query).all()]
    if column is None:  # by urgency, then by date
        order = list(CALL_GROUPS)
        rows.sort(key=lambda r: (order.index(r.group), r.target_date, r.study_code),
                  reverse=descending)
    return rows


def week(session: Session, f: WorklistFilter, start: date,
         with_identity: bool = False) -> dict[date, list[WorklistRow]]:
    """Pending follow-ups by target day, for the seven days from ``start``."""
    end = start + timedelta(days=6)
    query = _query(session, f, with_identity).where(
        Assessment.target_date >= start, Assessment.target_date <= end).order_by(
        Assessment.target_date, Site.code, Patient.study_code)
    days: dict[date, list[WorklistRow]] = {start + timedelta(days=i): [] for i in range(7)}
    for r in session.exec(query).all():
        row = _row(r, f.today)
        days[row.target_date].append(row)
    return days


def _query(session: Session, f: WorklistFilter, with_identity: bool):  # type: ignore[no-untyped-def]
    contact = ((PatientIdentity.name, PatientIdentity.phone, PatientIdentity.email)
               if with_identity else (null().label("name"), null().label("phone"),
                                      null().label("email")))
    query = (select(Assessment, Patient.study_code, Study.code, Study.is_synthetic, Site.code,
                    StudyArm.code, StudyTimepoint.label, *contact)
             .join(Patient, Patient.id == Assessment.patient_id)
             .join(Study, Study.id == Patient.study_id)
             .join(Site, Site.id == Patient.site_id)
             .join(StudyTimepoint, StudyTimepoint.id == Assessment.timepoint_id)
             .join(Enrollment, Enrollment.patient_id == Patient.id)
             .join(StudyArm, StudyArm.id == Enrollment.arm_id, isouter=True)
             .where(Assessment.state == "pending"))
    if with_identity:
        query = query.join(PatientIdentity, PatientIdentity.patient_id == Patient.id,
                           isouter=True)
    if f.site_id is not None:
        query = query.where(Patient.site_id == f.site_id)
    if f.study_id is not None:
        query = query.where(Patient.study_id == f.study_id)
    if f.timepoint:
        query = query.where(StudyTimepoint.code == f.timepoint)
    return query


def _row(r: tuple, today: date) -> WorklistRow:  # type: ignore[type-arg]
    a, code, study, synthetic, site, arm, label, name, phone, email = r
    return WorklistRow(a.id, a.patient_id, code, study, bool(synthetic), site, arm or "",
                       label, a.target_date, a.window_open, a.window_close,
                       call_group(a.target_date, a.window_open, a.window_close, today),
                       a.version, name, phone, email)
