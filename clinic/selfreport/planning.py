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
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists
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
    """Step -> send day of the message due today, or the reason for none.

    Only the latest step whose day has come is wanted: after days without a run (or a
    consent given mid-window) the patient gets one e-mail, not every missed step at once;
    an earlier step still unsent is cancelled as superseded.
    """
    reason = why_not(f, spec, today)
    if reason is not None:
        return reason
    assert spec is not None
    due = due_steps(f.window_open, f.window_close, today, spec)
    return dict(due[-1:])


def ladder_specs(session: Session) -> dict[int, LadderSpec]:
    """Study id -> ladder, for the studies that use self-report."""
    rows = session.exec(select(Study.id, Study.self_report)).all()
    return {int(i): spec for i, data in rows  # type: ignore[arg-type]
            if (spec := LadderSpec.from_json(data)) is not None}


def plan_self_report(session: Session, *, today: date) -> int:
    """The daily run: every visit whose ladder runs today, and every pending row.

    Set-based: one query reads the visits open today, one their messages, and the rows
    to insert go in batches (100,000 visits plan in well under the 2 s the benchmark
    asks; scripts/bench_self_report_planning.py).
    """
    session.flush()
    specs = ladder_specs(session)
    facts: dict[int, Facts] = {}
    rows: dict[int, list[Any]] = {}
    if specs:
        open_today = and_(Assessment.state == "pending", Assessment.window_open <= today,
                          Assessment.window_close >= today,
                          col(Patient.study_id).in_(list(specs)))
        facts = _facts(session, open_today)
        rows = _rows(session, and_(col(SelfReportMessage.assessment_id).in_(
            select(Assessment.id).join(Patient, col(Patient.id) == Assessment.patient_id)
            .where(open_today))))
    others = [i for i in session.exec(select(SelfReportMessage.assessment_id).where(
        SelfReportMessage.state == "pending")).all() if i not in facts]
    changed = _apply(session, list(facts), facts, rows, specs, today)
    return changed + reconcile_self_report(session, others, today=today, specs=specs)


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
        changed += _apply(session, chunk, _facts(session, col(Assessment.id).in_(chunk)),
                          _rows(session, col(SelfReportMessage.assessment_id).in_(chunk)),
                          specs, today)
    return changed


def _apply(session: Session, ids: Sequence[int], facts: dict[int, Facts],
           rows: dict[int, list[Any]], specs: dict[int, LadderSpec], today: date) -> int:
    changed = 0
    inserts: list[dict[str, Any]] = []
    now = utcnow()
    for assessment_id in ids:
        f = facts.get(assessment_id)
        wanted: dict[int, date] | str = (
            "visit not found" if f is None else wanted_steps(f, specs.get(f.study_id), today))
        mine = rows.get(assessment_id, [])
        if mine:
            changed += _reconcile_rows(session, mine, wanted)
        if isinstance(wanted, dict) and wanted:
            have = {r.step for r in mine}
            if have and max(wanted) < max(have):
                continue  # a later step exists already: nothing earlier is sent
            inserts += [_new_row(assessment_id, step, day, now)
                        for step, day in wanted.items() if step not in have]
    return changed + insert_rows(session, SelfReportMessage, inserts, ("assessment_id", "step"))


def _reconcile_rows(session: Session, rows: list[Any], wanted: dict[int, date] | str) -> int:
    changed = 0
    for row in rows:
        if isinstance(wanted, str) or row.step not in wanted:
            if row.state == "pending":
                reason = wanted if isinstance(wanted, str) else (
                    "superseded by a later step" if wanted and row.step < max(wanted)
                    else "not due yet (re-planned)")
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


def _new_row(assessment_id: int, step: int, day: date, now: datetime) -> dict[str, Any]:
    return {"assessment_id": assessment_id, "step": step, "send_on": day, "state": "pending",
            "attempts": 0, "created_at": now}


def _facts(session: Session, condition: ColumnElement[bool]) -> dict[int, Facts]:
    statement = (
        select(Assessment.id, Assessment.state, Assessment.window_open,
               Assessment.window_close, StudyTimepoint.is_baseline, Patient.study_id,
               PatientIdentity.self_report_consent, PatientIdentity.email, Enrollment.status,
               PatientIdentity.birth_date)
        .join(StudyTimepoint, col(StudyTimepoint.id) == Assessment.timepoint_id)
        .join(Patient, col(Patient.id) == Assessment.patient_id)
        .outerjoin(PatientIdentity, col(PatientIdentity.patient_id) == Assessment.patient_id)
        .outerjoin(Enrollment, col(Enrollment.patient_id) == Assessment.patient_id)
        .where(condition))
    return {int(r[0]): Facts(*r) for r in session.execute(statement).all()}  # type: ignore[arg-type]


def _rows(session: Session, condition: ColumnElement[bool]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for row in session.execute(select(SelfReportMessage.id, SelfReportMessage.assessment_id,
                                      SelfReportMessage.step, SelfReportMessage.state,
                                      SelfReportMessage.send_on).where(condition)).all():
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
