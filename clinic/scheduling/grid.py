"""The study status grid: a page of patients, one cell per timepoint, status by SQL rule,
and a summary row of counts by status over every patient the filters select (one SQL
aggregate: the page never loads the whole study)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from clinic.models import Assessment, Enrollment, Patient, Site, StudyArm, StudyTimepoint
from clinic.paging import DEFAULT_LIMIT, cut, decode_cursor
from clinic.scheduling.status import status_case
from clinic.scheduling.tally import status_counts_by_timepoint
from clinic.scheduling.windows import window_deviation


@dataclass(frozen=True)
class GridCell:
    assessment_id: int
    status: str
    target_date: date
    outside: str | None = None  # a completed visit outside its window: "4 days late"


@dataclass
class GridRow:
    patient_id: int
    study_code: str
    site_code: str
    arm_code: str
    cells: dict[int, GridCell] = field(default_factory=dict)  # timepoint id -> cell


@dataclass(frozen=True)
class StatusGrid:
    timepoints: list[StudyTimepoint]
    rows: list[GridRow]  # this page's patients, in study-code order
    totals: dict[int, Counter[str]]  # timepoint id -> status counts, all pages
    patients: int = 0  # patients the filters select, all pages
    next_cursor: str | None = None


def _filtered(query, study_id: int, site_id: int | None, arm_id: int | None):  # type: ignore[no-untyped-def]
    query = query.where(Patient.study_id == study_id)
    if site_id is not None:
        query = query.where(Patient.site_id == site_id)
    if arm_id is not None:
        query = query.where(Enrollment.arm_id == arm_id)
    return query


def status_grid(session: Session, *, study_id: int, today: date, site_id: int | None = None,
                arm_id: int | None = None, cursor: str | None = None,
                limit: int = DEFAULT_LIMIT) -> StatusGrid:
    """Five statements whatever the study's size: timepoints, the page's patients, their
    visits, the counts by timepoint and status, the number of patients."""
    timepoints = list(session.scalars(select(StudyTimepoint).where(
        StudyTimepoint.study_id == study_id).order_by(StudyTimepoint.position)))
    rows = _page(session, study_id, site_id, arm_id, cursor, limit)
    shown, next_cursor = cut(rows, limit, lambda r: (r.study_code,))
    _fill_cells(session, shown, today)
    return StatusGrid(timepoints, shown, _totals(session, study_id, today, site_id, arm_id,
                                                 timepoints),
                      _patients(session, study_id, site_id, arm_id), next_cursor)


def _page(session: Session, study_id: int, site_id: int | None, arm_id: int | None,
          cursor: str | None, limit: int) -> list[GridRow]:
    query = _filtered(select(Patient.id, Patient.study_code, Site.code, StudyArm.code)
                      .join(Site, Site.id == Patient.site_id)
                      .join(Enrollment, Enrollment.patient_id == Patient.id)
                      .join(StudyArm, StudyArm.id == Enrollment.arm_id, isouter=True),
                      study_id, site_id, arm_id)
    after = decode_cursor(cursor, (str,))
    if after is not None:  # study codes are unique within a study
        query = query.where(Patient.study_code > after[0])
    query = query.order_by(Patient.study_code).limit(limit + 1)
    return [GridRow(pid, code, site, arm) for pid, code, site, arm in session.execute(query)]


def _fill_cells(session: Session, rows: list[GridRow], today: date) -> None:
    if not rows:
        return
    by_id = {r.patient_id: r for r in rows}
    query = (select(Assessment.patient_id, Assessment.id, Assessment.timepoint_id,
                    Assessment.target_date, status_case(today), Assessment.visit_on,
                    Assessment.window_open, Assessment.window_close)
             .where(Assessment.patient_id.in_(list(by_id))))  # type: ignore[attr-defined]
    for pid, aid, tid, target, status, visit_on, opens, closes in session.execute(query):
        outside = window_deviation(visit_on, opens, closes) if status == "completed" else None
        by_id[pid].cells[tid] = GridCell(aid, status, target, outside)


def _totals(session: Session, study_id: int, today: date, site_id: int | None,
            arm_id: int | None, timepoints: list[StudyTimepoint]) -> dict[int, Counter[str]]:
    """From the visit tallies (clinic.models.tally), not from every visit."""
    found = status_counts_by_timepoint(session, today, study_id=study_id, site_id=site_id,
                                       arm_id=arm_id)
    return {t.id: found.get(t.id, Counter()) for t in timepoints}  # type: ignore[misc]


def _patients(session: Session, study_id: int, site_id: int | None, arm_id: int | None) -> int:
    query = select(func.count()).select_from(Patient)
    if arm_id is not None:
        query = query.join(Enrollment, Enrollment.patient_id == Patient.id)
    return int(session.execute(_filtered(query, study_id, site_id, arm_id)).scalar_one())
