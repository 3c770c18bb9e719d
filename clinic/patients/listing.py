"""The patient list: study code, site, arm, enrollment status and next follow-up, a page
at a time (keyset on study code, then id), filtered and counted in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from clinic.models import Assessment, Enrollment, Patient, Site, StudyArm
from clinic.paging import DEFAULT_LIMIT, Page, cut, decode_cursor
from clinic.patients.search import contains_text
from clinic.scheduling.tally import enrolled_count


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
    # for the API, read in the same statement (no query per patient)
    study_id: int = 0
    sex: str | None = None
    age_at_enrollment: int | None = None
    birth_year: int | None = None
    bmi: float | None = None
    diagnosis: str | None = None
    symptom_duration_months: float | None = None
    version: int = 1


@dataclass(frozen=True)
class PatientFilter:
    site_id: int | None = None
    arm_id: int | None = None
    study_id: int | None = None
    code: str | None = None  # part of the study code


def _filtered(query, f: PatientFilter):  # type: ignore[no-untyped-def]
    if f.site_id is not None:
        query = query.where(Patient.site_id == f.site_id)
    if f.arm_id is not None:
        query = query.where(Enrollment.arm_id == f.arm_id)
    if f.study_id is not None:
        query = query.where(Patient.study_id == f.study_id)
    code = (f.code or "").strip()
    if code:
        query = query.where(contains_text(Patient.study_code, code))
    return query


def patient_page(session: Session, f: PatientFilter, *, cursor: str | None = None,
                 limit: int = DEFAULT_LIMIT, count: bool = True) -> Page[PatientRow]:
    """One page of patients in study-code order: two statements (rows, count). The
    count comes from the enrollment tallies (clinic.models.tally); a search by code is
    not counted (it would read every study code): its pages say whether more follow."""
    next_due = (select(func.min(Assessment.target_date))
                .where(Assessment.patient_id == Patient.id, Assessment.state == "pending")
                .correlate(Patient).scalar_subquery())
    query = _filtered(
        select(Patient.id, Patient.study_code, Site.code, StudyArm.code, StudyArm.label,
               Enrollment.enrolled_on, Enrollment.status, next_due, Patient.study_id,
               Patient.sex, Patient.age_at_enrollment, Patient.birth_year, Patient.bmi,
               Patient.diagnosis, Patient.symptom_duration_months, Patient.version)
        .join(Site, Site.id == Patient.site_id)
        .join(Enrollment, Enrollment.patient_id == Patient.id)
        .join(StudyArm, StudyArm.id == Enrollment.arm_id, isouter=True), f)
    after = decode_cursor(cursor, (str, int))
    if after is not None:
        query = query.where(or_(Patient.study_code > after[0],
                                and_(Patient.study_code == after[0], Patient.id > after[1])))
    query = query.order_by(Patient.study_code, Patient.id).limit(limit + 1)
    rows = [PatientRow(pid, code, site, arm or "", label or "", enrolled, status, due, *rest)
            for pid, code, site, arm, label, enrolled, status, due, *rest
            in session.execute(query).all()]
    shown, next_cursor = cut(rows, limit, lambda r: (r.study_code, r.patient_id))
    total = None
    if count and not (f.code or "").strip():
        total = enrolled_count(session, site_id=f.site_id, arm_id=f.arm_id,
                               study_id=f.study_id)
    return Page(shown, next_cursor, total)
