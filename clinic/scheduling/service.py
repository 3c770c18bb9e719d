"""Follow-up schedules in the database, planned by the pure window arithmetic."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import inspect
from sqlmodel import Session, select

from clinic.audit import insert_audited
from clinic.models import Assessment, Patient, Procedure, StudyTimepoint
from clinic.models.inserts import new_row
from clinic.reminders import reconcile_reminders
from clinic.scheduling.windows import PlannedVisit, TimepointSpec, plan_one


def _spec(t: StudyTimepoint) -> TimepointSpec:
    return TimepointSpec(t.code, t.label, t.offset_days, t.window_before_days,
                         t.window_after_days, is_baseline=t.is_baseline)


def _timepoints(session: Session, study_id: int) -> list[StudyTimepoint]:
    return list(session.exec(select(StudyTimepoint).where(StudyTimepoint.study_id == study_id)
                             .order_by(StudyTimepoint.position)).all())


def _apply(assessment: Assessment, visit: PlannedVisit) -> None:
    assessment.target_date = visit.target_date
    assessment.window_open = visit.window_open
    assessment.window_close = visit.window_close


def create_baseline(session: Session, *, patient: Patient, anchor: date) -> int | None:
    """Enrollment plans the baseline on the enrollment date (re-anchored at the procedure);
    returns its id (see :func:`baseline_row`)."""
    baseline = next((t for t in _timepoints(session, patient.study_id) if t.is_baseline), None)
    if baseline is None:
        return None
    row = baseline_row(patient.id, baseline, anchor)  # type: ignore[arg-type]
    insert_audited(session, Assessment, [row], key=("timepoint_id",))
    return row["id"]  # type: ignore[no-any-return]


def baseline_row(patient_id: int, baseline: StudyTimepoint, anchor: date) -> dict[str, Any]:
    """The baseline planned at enrollment, an INSERT's row.

    Until the procedure is recorded the baseline is due on the enrollment date and
    stays open (overdue, not missed) for as many days after it as the protocol allows
    before the procedure; recording the procedure re-plans it on the procedure date.
    """
    row = planned_row(patient_id, baseline, plan_one(anchor, _spec(baseline)))
    row["window_close"] = anchor + timedelta(days=max(baseline.window_before_days, 1))
    return row


def planned_row(patient_id: int, timepoint: StudyTimepoint, visit: PlannedVisit,
                procedure_id: int | None = None) -> dict[str, Any]:
    """A new assessment planned for ``visit``, an INSERT's row."""
    return new_row(Assessment, {"patient_id": patient_id, "timepoint_id": timepoint.id,
                                "procedure_id": procedure_id, "target_date": visit.target_date,
                                "window_open": visit.window_open,
                                "window_close": visit.window_close})


def plan_for(timepoint: StudyTimepoint, day: date) -> PlannedVisit:
    """The timepoint's visit for a procedure on ``day``."""
    return plan_one(day, _spec(timepoint))


def procedure_day(procedure: Procedure, timezone: str) -> date:
    """The procedure's calendar date in the clinic's time zone."""
    return local_day(procedure.performed_at, timezone)


def local_day(moment: datetime, timezone: str) -> date:
    """The calendar date of ``moment`` in the clinic's time zone."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def schedule_from_procedure(session: Session, *, patient: Patient, procedure: Procedure,
                            timezone: str) -> list[int]:
    """Create missing follow-ups and re-anchor pending ones on the procedure date; returns
    the ids of the follow-ups planned, in the protocol's order.

    Completed and not-done assessments are never touched. Only the patient's first
    (index) procedure anchors the schedule; later procedures leave it as it is. The
    missing ones (all but the baseline, on the first procedure) go as one INSERT.
    """
    if _anchor_procedure_id(session, patient) not in (None, procedure.id):
        return []
    day = procedure_day(procedure, timezone)
    existing = {a.timepoint_id: a for a in session.exec(
        select(Assessment).where(Assessment.patient_id == patient.id))}
    planned: list[Assessment | dict[str, Any]] = []
    for timepoint in _timepoints(session, patient.study_id):
        assessment = existing.get(timepoint.id)  # type: ignore[arg-type]
        if assessment is None:
            assessment = Assessment(patient_id=patient.id, timepoint_id=timepoint.id)  # type: ignore[arg-type]
        elif assessment.state != "pending":
            continue
        _apply(assessment, plan_for(timepoint, day))
        assessment.procedure_id = procedure.id
        if assessment.id is None:
            planned.append(_row(assessment))
        else:
            session.add(assessment)
            planned.append(assessment)
    insert_audited(session, Assessment, [p for p in planned if isinstance(p, dict)],
                   key=("timepoint_id",))
    session.flush()
    ids = [p["id"] if isinstance(p, dict) else p.id for p in planned]
    reconcile_reminders(session, ids)  # type: ignore[arg-type]  # re-plan reminders
    return ids  # type: ignore[return-value]


def _row(assessment: Assessment) -> dict[str, Any]:
    """A new assessment's columns, the model's defaults included, for an INSERT."""
    return {a.key: getattr(assessment, a.key)
            for a in inspect(Assessment).column_attrs if a.key != "id"}


def _anchor_procedure_id(session: Session, patient: Patient) -> int | None:
    first = session.exec(select(Procedure.id).where(Procedure.patient_id == patient.id)
                         .order_by(Procedure.performed_at, Procedure.id).limit(1)).first()
    return first
