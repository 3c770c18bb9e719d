"""Which self-report messages should exist today, kept in step with the visits.

A message (visit, ladder step) is wanted while the visit is pending, not a baseline,
its study uses self-report, the patient consented to it, has an e-mail address and is
not withdrawn, the window is open today and the step's day has come. Rows are created
on their day (not ahead), so a moved window or a changed ladder needs no clean-up of
future rows; a pending row that is no longer wanted is cancelled with the reason, and
re-opened if it is wanted again. Rows that were claimed or sent are never touched.
The sender checks the same conditions when it claims (clinic.reminders.delivery).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, exists
from sqlmodel import Session, col, select

from clinic.models import (
    Assessment,
    Enrollment,
    Patient,
    PatientIdentity,
    SelfReportMessage,
    Study,
    StudyTimepoint,
)
from clinic.models.base import utcnow
from clinic.reminders.rows import cancel_pending, change_state, insert_rows
from clinic.selfreport.ladder import LadderSpec, due_steps

CHUNK = 500


@dataclass(frozen=True)
class Facts:
    assessment_id: int
    state: str
    window_open: date
    window_close: date
    is_baseline: bool
    study_id: int
    consent: bool | None
    email: str | None
    enrollment_status: str | None
    birth_date: date | None = None


def why_not(f: Facts, spec: LadderSpec | None, today: date) -> str | None:
    """None if the visit's ladder runs today, else why not (kept on cancelled rows)."""
    if f.state != "pending":
        return "follow-up completed" if f.state == "completed" else "follow-up not done"
    if f.is_baseline:
        return "baseline visit: collected by staff"
    if spec is None:
        return "the study does not use self-report"
    if f.enrollment_status == "withdrawn":
        return "patient withdrawn"
    if not f.consent:
        return "no consent to self-report"
    if not (f.email or "").strip():
        return "no e-mail address"
    if spec.second_factor != "none" and f.birth_date is None:
        return "no date of birth recorded: the link asks for it"
    if today > f.window_close:
        return "window closed"
    if today < f.window_open:
        return "window not open yet (re-planned)"
    return None


def wanted_steps(f: Facts, spec: LadderSpec | None, today: date) -> dict[int, date] | str:
    """Step -> send day of the messages due by today, or the reason for none."""
    reason = why_not(f, spec, today)
    if reason is not None:
        return reason
    assert spec is not None
    return dict(due_steps(f.window_open, f.window_close, today, spec))


def ladder_specs(session: Session) -> dict[int, LadderSpec]:
    """Study id -> ladder, for the studies that use self-report."""
    rows = session.exec(select(Study.id, Study.self_report)).all()
    return {int(i): spec for i, data in rows  # type: ignore[arg-type]
            if (spec := LadderSpec.from_json(data)) is not None}


def plan_self_report(session: Session, *, today: date) -> int:
    """The daily run: every visit whose ladder runs today, and every pending row."""
    specs = ladder_specs(session)
    open_today: list[int] = []
    if specs:
        open_today = list(session.exec(
            select(Assessment.id).join(Patient, col(Patient.id) == Assessment.patient_id)
            .where(Assessment.state == "pending", Assessment.window_open <= today,
                   Assessment.window_close >= today,
                   col(Patient.study_id).in_(list(specs)))).all())  # type: ignore[arg-type]
    pending = session.exec(select(SelfReportMessage.assessment_id).where(
        SelfReportMessage.state == "pending")).all()
    return reconcile_self_report(session, [*open_today, *pending], today=today, specs=specs)


def reconcile_self_report(session: Session, assessment_ids: Iterable[int | None], *,
                          today: date, specs: dict[int, LadderSpec] | None = None) -> int:
    """Bring these visits' messages in line; returns rows inserted or changed. Flushes."""
    ids = sorted({i for i in assessment_ids if i is not None})
    if not ids:
        return 0
    session.flush()
    specs = ladder_specs(session) if specs is None else specs
    changed = 0
    for chunk in _chunks(ids, CHUNK):
        facts = _facts(session, chunk)
        rows = _rows(session, chunk)
        inserts: list[dict[str, Any]] = []
        for assessment_id in chunk:
            f = facts.get(assessment_id)
            wanted: dict[int, date] | str = (
                "visit not found" if f is None
                else wanted_steps(f, specs.get(f.study_id), today))
            changed += _reconcile_rows(session, rows.get(assessment_id, []), wanted)
            if isinstance(wanted, dict):
                have = {r.step for r in rows.get(assessment_id, [])}
                inserts += [_new_row(assessment_id, step, day)
                            for step, day in wanted.items() if step not in have]
        changed += insert_rows(session, SelfReportMessage, inserts, ("assessment_id", "step"))
    return changed


def _reconcile_rows(session: Session, rows: list[Any], wanted: dict[int, date] | str) -> int:
    changed = 0
    for row in rows:
        if isinstance(wanted, str) or row.step not in wanted:
            if row.state == "pending":
                reason = wanted if isinstance(wanted, str) else "not due yet (re-planned)"
                changed += cancel_pending(session, SelfReportMessage, row.id, reason)
            continue
        day = wanted[row.step]
        if row.state == "cancelled":
            changed += _change(session, row, "cancelled", send_on=day, state="pending",
                               attempts=0, next_attempt_at=None, last_error=None,
                               note="planned again")
        elif row.state == "pending" and row.send_on != day:
            changed += _change(session, row, "pending", send_on=day,
                               note=f"re-planned: was due {row.send_on.isoformat()}")
    return changed


def _change(session: Session, row: Any, expected: str, **values: object) -> int:
    conditions: list[ColumnElement[bool]] = [col(SelfReportMessage.id) == row.id,
                                             col(SelfReportMessage.state) == expected]
    return int(change_state(session, SelfReportMessage, conditions, **values))


def _new_row(assessment_id: int, step: int, day: date) -> dict[str, Any]:
    return {"assessment_id": assessment_id, "step": step, "send_on": day, "state": "pending",
            "attempts": 0, "created_at": utcnow()}


def _facts(session: Session, ids: Sequence[int]) -> dict[int, Facts]:
    statement = (
        select(Assessment.id, Assessment.state, Assessment.window_open,
               Assessment.window_close, StudyTimepoint.is_baseline, Patient.study_id,
               PatientIdentity.self_report_consent, PatientIdentity.email, Enrollment.status,
               PatientIdentity.birth_date)
        .join(StudyTimepoint, col(StudyTimepoint.id) == Assessment.timepoint_id)
        .join(Patient, col(Patient.id) == Assessment.patient_id)
        .outerjoin(PatientIdentity, col(PatientIdentity.patient_id) == Assessment.patient_id)
        .outerjoin(Enrollment, col(Enrollment.patient_id) == Assessment.patient_id)
        .where(col(Assessment.id).in_(ids)))
    return {int(r[0]): Facts(*r) for r in session.exec(statement).all()}  # type: ignore[arg-type]


def _rows(session: Session, ids: Sequence[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for row in session.exec(select(SelfReportMessage.id, SelfReportMessage.assessment_id,
                                   SelfReportMessage.step, SelfReportMessage.state,
                                   SelfReportMessage.send_on)
                            .where(col(SelfReportMessage.assessment_id).in_(ids))).all():
        out.setdefault(row.assessment_id, []).append(row)
    return out


def _chunks(ids: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def still_wanted(today: date) -> list[ColumnElement[bool]]:
    """What the sender re-checks in the claiming UPDATE itself (same rules as above)."""
    visit_open = exists().where(
        col(Assessment.id) == SelfReportMessage.assessment_id, Assessment.state == "pending",
        Assessment.window_open <= today, Assessment.window_close >= today,
        col(PatientIdentity.patient_id) == Assessment.patient_id,
        col(PatientIdentity.self_report_consent).is_(True))
    withdrawn = exists().where(
        col(Assessment.id) == SelfReportMessage.assessment_id,
        col(Enrollment.patient_id) == Assessment.patient_id, Enrollment.status == "withdrawn")
    return [col(SelfReportMessage.send_on) <= today, visit_open, ~withdrawn]
