"""Database → tidy frames for the cohort view (no identity data is read)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session

import clinic.stats.pandas_setup  # noqa: F401  (texts in Python strings)
from clinic.cohort.filters import CohortFilters
from clinic.models import (
    Assessment,
    AuditEvent,
    Enrollment,
    Patient,
    Procedure,
    ProcedureTarget,
    Score,
    Site,
    StudyArm,
    StudyTimepoint,
)


def data_stamp(session: Session) -> int:
    """The data version the cohort view's analysis is cached under: the newest audit
    event's id (every clinical write is audited). One index lookup."""
    return int(session.execute(select(func.max(AuditEvent.id))).scalar_one() or 0)


def _frame(session: Session, stmt: object, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(session.execute(stmt).all(), columns=columns)  # type: ignore[call-overload]


def included_patients(session: Session, f: CohortFilters, timezone: str) -> pd.DataFrame:
    """patient_id, arm: patients whose index (first) procedure matches the filters."""
    patients = _frame(session, select(Patient.id, StudyArm.label, Site.code)
                      .join(Enrollment, Enrollment.patient_id == Patient.id)
                      .join(StudyArm, StudyArm.id == Enrollment.arm_id, isouter=True)
                      .join(Site, Site.id == Patient.site_id)
                      .where(Patient.study_id == f.study_id), ["patient_id", "arm", "site"])
    procedures = _frame(session, select(Procedure.id, Procedure.patient_id, Procedure.performed_at,
                                        Procedure.modality, Procedure.procedure_type)
                        .join(Patient, Patient.id == Procedure.patient_id)
                        .where(Patient.study_id == f.study_id)
                        .order_by(Procedure.performed_at, Procedure.id),
                        ["procedure_id", "patient_id", "performed_at", "modality", "type"])
    index = procedures.drop_duplicates("patient_id", keep="first")
    frame = patients.merge(index, on="patient_id", how="inner")
    if f.site:
        frame = frame[frame["site"] == f.site]
    if f.modality:
        frame = frame[frame["modality"] == f.modality]
    if f.procedure_type:
        frame = frame[frame["type"] == f.procedure_type]
    if f.date_from or f.date_to:
        days = frame["performed_at"].map(lambda t: t.astimezone(ZoneInfo(timezone)).date())
        frame = frame[(days >= (f.date_from or date.min)) & (days <= (f.date_to or date.max))]
    if f.level:
        with_level = _frame(session, select(ProcedureTarget.procedure_id)
                            .where(ProcedureTarget.level == f.level), ["procedure_id"])
        frame = frame[frame["procedure_id"].isin(with_level["procedure_id"])]
    frame = frame[frame["arm"].notna()]  # registry: modality of none of the groups
    return frame[["patient_id", "arm"]].reset_index(drop=True)


def cohort_scores(session: Session, f: CohortFilters, timezone: str) -> pd.DataFrame:
    """subject, arm, timepoint (code), value: one row per recorded score of the instrument."""
    patients = included_patients(session, f, timezone)
    scores = _frame(session, select(Assessment.patient_id, StudyTimepoint.code, Score.value)
                    .join(Score, Score.assessment_id == Assessment.id)
                    .join(StudyTimepoint, StudyTimepoint.id == Assessment.timepoint_id)
                    .where(StudyTimepoint.study_id == f.study_id,
                           Score.instrument == f.instrument, Score.value.is_not(None)),  # type: ignore[union-attr]
                    ["patient_id", "timepoint", "value"])
    merged = patients.merge(scores, on="patient_id", how="inner")
    return merged.rename(columns={"patient_id": "subject"})[["subject", "arm", "timepoint",
                                                              "value"]]
