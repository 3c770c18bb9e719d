"""The study status grid: one row per patient, one cell per timepoint, status by SQL rule."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from clinic.models import Assessment, Enrollment, Patient, Site, StudyArm, StudyTimepoint
from clinic.scheduling.status import status_case


@dataclass(frozen=True)
class GridCell:
    assessment_id: int
    status: str
    target_date: date


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
    rows: list[GridRow]
    totals: dict[int, Counter[str]]  # timepoint id -> status counts


def status_grid(session: Session, *, study_id: int, today: date, site_id: int | None = None,
                arm_id: int | None = None) -> StatusGrid:
    timepoints = list(session.exec(select(StudyTimepoint).where(
        StudyTimepoint.study_id == study_id).order_by(StudyTimepoint.position)))
    status = status_case(today).label("status")
    query = (select(Patient.id, Patient.study_code, Site.code, StudyArm.code,
                    Assessment.id, Assessment.timepoint_id, Assessment.target_date, status)
             .join(Site, Site.id == Patient.site_id)
             .join(Enrollment, Enrollment.patient_id == Patient.id)
             .join(StudyArm, StudyArm.id == Enrollment.arm_id, isouter=True)
             .join(Assessment, Assessment.patient_id == Patient.id, isouter=True)
             .where(Patient.study_id == study_id)
             .order_by(Patient.study_code))
    if site_id is not None:
        query = query.where(Patient.site_id == site_id)
    if arm_id is not None:
        query = query.where(Enrollment.arm_id == arm_id)
    rows: dict[int, GridRow] = {}
    totals: dict[int, Counter[str]] = {t.id: Counter() for t in timepoints}  # type: ignore[misc]
    for pid, code, site, arm, aid, tid, target, state in session.exec(query).all():
        row = rows.setdefault(pid, GridRow(pid, code, site, arm))
        if aid is not None:
            row.cells[tid] = GridCell(aid, state, target)
            totals[tid][state] += 1
    return StatusGrid(timepoints, list(rows.values()), totals)
