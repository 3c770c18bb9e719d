"""Which reminder rows should exist, kept in step with the follow-up schedule.

A patient reminder is wanted for a pending, non-baseline assessment of an enrolled
patient who consented to e-mail reminders and has an e-mail address, while the visit
date is not past. It may go out from ``send_on`` = visit date - REMINDER_DAYS_BEFORE.
:func:`reconcile_reminders` inserts, re-plans, re-opens or cancels rows accordingly;
services call it whenever an assessment changes, the daily run calls it for all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, bindparam, func, update
from sqlmodel import Session, col, select

from clinic.models import (
    Assessment,
    Enrollment,
    NurseDigest,
    Patient,
    PatientIdentity,
    Reminder,
    SelfReportMessage,
    StudyTimepoint,
    User,
)
from clinic.models.base import utcnow
from clinic.reminders.rows import cancel_pending, change_state, insert_ignore, insert_rows
from clinic.reminders.settings import DEFAULT_DAYS_BEFORE
from clinic.selfreport.planning import ladder_specs, reconcile_self_report

KIND = "patient_visit"
CHUNK = 500


@dataclass(frozen=True)
class _Facts:
    state: str
    target_date: date
    is_baseline: bool
    consent: bool | None
    email: str | None
    enrollment_status: str | None
    self_report: bool = False  # the patient answers by link (study and patient agree)


def clinic_today() -> date | None:
    """The clinic's calendar day, when there is an app (and so a TIMEZONE) to ask."""
    if not has_app_context():
        return None
    return utcnow().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def configured_days_before() -> int:
    if has_app_context():
        return int(current_app.config.get("REMINDER_DAYS_BEFORE", DEFAULT_DAYS_BEFORE))
    return DEFAULT_DAYS_BEFORE


def why_not(facts: _Facts | None, today: date | None) -> str | None:
    """None if a reminder is wanted, else the reason (shown on the row when cancelled)."""
    if facts is None:
        return "assessment not found"
    if facts.state != "pending":
        return "follow-up completed" if facts.state == "completed" else "follow-up not done"
    if facts.is_baseline:
        return "baseline visit: no patient reminder"
    if facts.enrollment_status == "withdrawn":
        return "patient withdrawn"
    if facts.self_report:
        return "the patient answers by link (self-report invitations instead)"
    if not facts.consent:
        return "no consent to e-mail reminders"
    if not (facts.email or "").strip():
        return "no e-mail address"
    if today is not None and facts.target_date < today:
        return "visit date passed"
    return None


def reconcile_reminders(session: Session, assessment_ids: Iterable[int | None], *,
                        today: date | None = None, days_before: int | None = None,
                        self_report: bool = True) -> int:
    """Bring the reminder rows of these assessments in line with the schedule.

    ``today`` defaults to the clinic's day (no past-date check outside an app).
    Only rows still 'pending' (or 'cancelled', when wanted again) are touched, by
    conditional UPDATEs, so a row a sender has claimed is never changed under it.
    Returns the number of rows inserted or changed. Flushes, never commits.
    """
    ids = sorted({i for i in assessment_ids if i is not None})
    if not ids:
        return 0
    session.flush()
    today = today or clinic_today()
    lead = timedelta(days=configured_days_before() if days_before is None else days_before)
    changed = 0
    specs = ladder_specs(session)
    for chunk in _chunks(ids):
        facts = _facts(session, chunk, set(specs))
        rows = {r.assessment_id: r for r in session.exec(
            select(Reminder.id, Reminder.assessment_id, Reminder.state, Reminder.visit_date,
                   Reminder.send_on)
            .where(col(Reminder.assessment_id).in_(chunk), Reminder.kind == KIND)).all()}
        new: list[dict[str, Any]] = []  # the missing rows: one multi-row INSERT
        for assessment_id in chunk:
            changed += _reconcile_one(session, assessment_id, facts.get(assessment_id),
                                      rows.get(assessment_id), today, lead, new)
        changed += insert_rows(session, Reminder, new, ("assessment_id", "kind"))
    if not self_report:  # the daily run plans self-report on its own
        return changed
    return changed + reconcile_self_report(session, ids, today=today or utcnow().date(),
                                           specs=specs)


def cancel_for_recorded(session: Session, assessment: Assessment) -> int:
    """A visit just completed or marked not done wants no reminder and no self-report
    message: its pending ones are cancelled with the note :func:`reconcile_reminders`
    would write, in two conditional UPDATEs instead of its five reads and writes (the
    follow-up save's share); on PostgreSQL, both in one statement. Flushes; returns
    the rows cancelled."""
    session.flush()
    params = cancel_params(assessment.id, assessment.state, assessment.target_date)  # type: ignore[arg-type]
    if session.get_bind().dialect.name == "postgresql":
        return int(session.execute(_CANCEL_BOTH, params).scalar_one())
    return sum(int(session.execute(statement, params).rowcount)  # type: ignore[attr-defined]
               for statement in _CANCEL_PENDING)


def cancel_for_recorded_visits(session: Session,
                               visits: Sequence[tuple[int, str, date]]) -> None:
    """:func:`cancel_for_recorded` for many visits (each: its id, state and target date)
    that Core UPDATEs recorded: the same two UPDATEs, each sent once for all of them."""
    if visits:
        params = [cancel_params(*visit) for visit in visits]
        for statement in _CANCEL_PENDING:
            session.execute(statement, params)


def cancel_params(visit_id: int, state: str, target_date: date) -> dict[str, Any]:
    assert state in ("completed", "not_done"), state
    return {"visit": visit_id,
            "why": why_not(_Facts(state, target_date, False, None, None, None), None)}


def _cancel_pending(table: Any, *extra: Any) -> Any:
    return (update(table).where(table.c.assessment_id == bindparam("visit"),
                                table.c.state == "pending", *extra)
            .values(state="cancelled", note=bindparam("why")))


# built once: a save runs them, and building them cost more than running them
_CANCEL_PENDING = (_cancel_pending(Reminder.__table__, Reminder.__table__.c.kind == KIND),
                   _cancel_pending(SelfReportMessage.__table__))
# on PostgreSQL, both as data-modifying CTEs of one statement, which counts what each did
_REMINDERS, _MESSAGES = (statement.returning(statement.table.c.id).cte(name)  # type: ignore[attr-defined]
                         for statement, name in zip(_CANCEL_PENDING, ("reminders", "messages"),
                                                    strict=True))
_CANCEL_BOTH = select(select(func.count()).select_from(_REMINDERS).scalar_subquery()
                      + select(func.count()).select_from(_MESSAGES).scalar_subquery())


def cancelled_once_claimed(claimed: Any) -> Any:
    """The count of the visit's pending reminders and self-report messages cancelled
    (:func:`cancel_for_recorded`), as a scalar subquery over two data-modifying CTEs
    that change nothing unless the CTE ``claimed`` (an UPDATE of the visit, returning
    its ``id``) changed the visit: for a statement that claims and cancels at once.
    Parameters as :func:`cancel_params` names them."""
    counts = []
    for statement, name in zip(_CANCEL_PENDING, ("reminders", "messages"), strict=True):
        table = statement.table  # type: ignore[attr-defined]
        cancelled = (statement.where(table.c.assessment_id.in_(select(claimed.c.id)))
                     .returning(table.c.id).cte(name))
        counts.append(select(func.count()).select_from(cancelled).scalar_subquery())
    return counts[0] + counts[1]


def reconcile_patient_reminders(session: Session, patient_id: int | None) -> int:
    """All of one patient's reminders (after a withdrawal or a consent/e-mail change)."""
    ids = session.exec(select(Assessment.id).where(Assessment.patient_id == patient_id)).all()
    return reconcile_reminders(session, ids)


def _reconcile_one(session: Session, assessment_id: int, facts: _Facts | None,
                   row: Any, today: date | None, lead: timedelta,
                   new: list[dict[str, Any]]) -> int:
    """Cancels or re-plans the assessment's row; a missing row goes to ``new``."""
    reason = why_not(facts, today)
    if reason is not None:
        if row is not None and row.state == "pending":
            return int(cancel_pending(session, Reminder, row.id, reason))  # type: ignore[arg-type]
        return 0
    assert facts is not None
    visit, send_on = facts.target_date, facts.target_date - lead
    if row is None:
        new.append({"kind": KIND, "assessment_id": assessment_id, "visit_date": visit,
                    "send_on": send_on, "state": "pending", "attempts": 0,
                    "created_at": utcnow()})
        return 0
    if row.state == "cancelled":
        return _replan(session, row, visit, send_on, "cancelled",
                       state="pending", attempts=0, next_attempt_at=None, last_error=None,
                       note="planned again")
    if row.state == "pending" and (row.visit_date != visit or row.send_on != send_on):
        return _replan(session, row, visit, send_on, "pending",
                       note=f"re-planned: visit moved from {row.visit_date.isoformat()}")
    return 0


def _replan(session: Session, row: Any, visit: date, send_on: date, expected: str,
            **values: object) -> int:
    conditions: list[ColumnElement[bool]] = [col(Reminder.id) == row.id,
                                             col(Reminder.state) == expected]
    return int(change_state(session, Reminder, conditions, visit_date=visit, send_on=send_on,
                            **values))


def _facts(session: Session, ids: Sequence[int],
           self_report_studies: set[int]) -> dict[int, _Facts]:
    statement = (
        select(Assessment.id, Assessment.state, Assessment.target_date,
               StudyTimepoint.is_baseline, PatientIdentity.reminder_consent,
               PatientIdentity.email, Enrollment.status, Patient.study_id,
               PatientIdentity.self_report_consent)
        .join(StudyTimepoint, col(StudyTimepoint.id) == Assessment.timepoint_id)
        .join(Patient, col(Patient.id) == Assessment.patient_id)
        .outerjoin(PatientIdentity, col(PatientIdentity.patient_id) == Assessment.patient_id)
        .outerjoin(Enrollment, col(Enrollment.patient_id) == Assessment.patient_id)
        .where(col(Assessment.id).in_(ids)))
    return {int(r[0]): _Facts(*r[1:7], self_report=bool(r[8]) and r[7] in self_report_studies)  # type: ignore[arg-type]
            for r in session.exec(statement).all()}


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def plan_patient_reminders(session: Session, *, today: date, days_before: int) -> int:
    """The daily run's part: reminders are planned when a schedule or a patient's
    details change (every service calls :func:`reconcile_reminders`), so a day only
    re-checks the pending reminders whose sending day has come: the ones about to be
    sent (a visit completed by another program is cancelled here, not mailed) and the
    ones whose visit date has passed (their sending day is earlier still). One indexed
    range, however large the registry."""
    due = session.exec(select(Reminder.assessment_id).where(
        Reminder.state == "pending", Reminder.kind == KIND,
        col(Reminder.send_on) <= today)).all()
    return reconcile_reminders(session, due, today=today, days_before=days_before,
                               self_report=False)


def replan_all_reminders(session: Session, *, today: date, days_before: int) -> int:
    """Reconcile every assessment that may need a reminder, or has a pending one: after
    rows were written around the services (an import, a bulk load, a restored backup).
    ``flask reminders replan``; it reads every upcoming visit."""
    upcoming = session.exec(select(Assessment.id).where(
        Assessment.state == "pending", Assessment.target_date >= today)).all()
    planned = session.exec(select(Reminder.assessment_id).where(
        Reminder.state == "pending")).all()
    return reconcile_reminders(session, [*upcoming, *planned], today=today,
                               days_before=days_before, self_report=False)


def due_counts_by_site(session: Session, today: date) -> dict[int, int]:
    """Pending follow-ups whose window is open today (due or overdue), per site."""
    rows = session.exec(
        select(Patient.site_id, func.count(col(Assessment.id)))
        .join(Patient, col(Patient.id) == Assessment.patient_id)
        .where(Assessment.state == "pending", Assessment.window_open <= today,
               Assessment.window_close >= today)
        .group_by(Patient.site_id)).all()
    return {int(site): int(n) for site, n in rows}


def plan_digests(session: Session, *, today: date) -> int:
    """One digest row per active nurse whose site has due or overdue follow-ups today.

    Yesterday's digests still pending are cancelled: a digest is news of its day only.
    """
    for stale in session.exec(select(NurseDigest.id).where(
            NurseDigest.state == "pending", NurseDigest.digest_date < today)).all():
        cancel_pending(session, NurseDigest, stale, "superseded by a newer digest")  # type: ignore[arg-type]
    counts = due_counts_by_site(session, today)
    nurses = session.exec(select(User.id, User.site_id).where(
        User.role == "nurse", col(User.is_active).is_(True),
        col(User.site_id).is_not(None))).all()
    created = 0
    for user_id, site_id in nurses:
        if counts.get(site_id, 0):  # type: ignore[arg-type]
            created += insert_ignore(session, NurseDigest, {
                "user_id": user_id, "digest_date": today, "state": "pending",
                "attempts": 0, "created_at": utcnow()}, ("user_id", "digest_date"))
    return created
