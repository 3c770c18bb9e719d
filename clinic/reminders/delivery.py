"""One run: plan the rows, then claim, send and mark them one by one.

Each step commits on its own (see the protocol in :mod:`clinic.reminders`): the claim
is committed before the SMTP conversation starts, the outcome right after it ends.

Trouble with one message stays with that message: :func:`clinic.reminders.mail.send`
never raises, composing is guarded, and recording has a fallback, so no row is left
'sending' by an exception here. A failure of the mail server itself opens the
:class:`CircuitBreaker`: the rest of the run is deferred, not tried one timeout each.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import exists, func
from sqlmodel import Session, col, select

from clinic.db import get_engine
from clinic.models import Assessment, NurseDigest, Reminder, SelfReportMessage
from clinic.models.base import utcnow
from clinic.reminders import content
from clinic.reminders.mail import COMPOSE_FAILED, Outgoing, SendResult, send
from clinic.reminders.planning import plan_digests, plan_patient_reminders
from clinic.reminders.rows import (
    Deliverable,
    change_state,
    claim,
    defer,
    due_condition,
    log_attempt,
    mark_cancelled,
    mark_retry,
    mark_sent,
    mark_unknown,
    owned,
    stale_claims,
)
from clinic.reminders.settings import ReminderSettings, reminder_settings
from clinic.selfreport.mail import ladder_email
from clinic.selfreport.planning import plan_self_report, still_wanted

log = logging.getLogger("clinic.reminders")
MODELS = (Reminder, NurseDigest, SelfReportMessage)


@dataclass
class RunReport:
    planned: int = 0
    digests_planned: int = 0
    self_report_planned: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unknown: int = 0
    cancelled: int = 0
    claimed_elsewhere: int = 0
    deferred: int = 0  # not tried: the mail server was down (circuit breaker)
    server_problem: str | None = None  # why the run stopped sending, if it did
    # pending e-mails a failed attempt put back until a later try (not due in this run)
    waiting: int = 0
    next_try: datetime | None = None

    def describe(self) -> str:
        counts = ", ".join(f"{f.name.replace('_', ' ')} {getattr(self, f.name)}"
                           for f in fields(self)
                           if f.name not in ("server_problem", "waiting", "next_try"))
        if self.waiting and self.next_try is not None:
            counts += (f"; {self.waiting} waiting for their next try after a failed attempt "
                       f"(the first at {self.next_try:%Y-%m-%d %H:%M} UTC)")
        if self.server_problem is None:
            return counts
        return (f"{counts}; stopped sending: {self.server_problem}; {self.deferred} not tried"
                " stay pending and are tried after the back-off")


@dataclass
class CircuitBreaker:
    """Open once the mail server itself failed: the rest of the run is not tried.

    One unreachable or silent server then costs one timeout per run, not one per
    message; the rows not tried keep their attempts and wait for the same back-off
    as the row that found the server down.
    """

    reason: str | None = None
    until: datetime | None = None

    @property
    def open(self) -> bool:
        return self.reason is not None

    def trip(self, reason: str, until: datetime) -> None:
        self.reason, self.until = reason, until


def run_once(app: Flask) -> RunReport:
    """Plan today's reminders and digests, then deliver everything that is due."""
    settings = reminder_settings(app.config)
    report = RunReport()
    today = settings.today()
    with Session(get_engine(app), expire_on_commit=False) as session:
        report.planned = plan_patient_reminders(session, today=today,
                                                days_before=settings.days_before)
        report.digests_planned = plan_digests(session, today=today)
        report.self_report_planned = plan_self_report(session, today=today)
        session.commit()
    return deliver_due(app, report)


def deliver_due(app: Flask, report: RunReport | None = None) -> RunReport:
    """Deliver pending rows whose time has come; first give up on abandoned claims.

    One message's trouble stays with that message: whatever goes wrong with it, its
    row is marked and logged, and the run goes on with the next one.
    """
    settings = reminder_settings(app.config)
    report = report or RunReport()
    breaker = CircuitBreaker()
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as session:
        report.unknown += recover_abandoned(session, settings)
        for model in MODELS:
            for row_id in _candidates(session, model, settings):
                _one(session, model, row_id, settings, report, breaker)
        _count_waiting(session, report, settings)
    report.server_problem = breaker.reason
    return report


def _count_waiting(session: Session, report: RunReport, settings: ReminderSettings) -> None:
    """The pending e-mails held back for a later try: a run that sent nothing said
    nothing of them (found trying the command line as a new user would). Among the rows
    a run would send today (the candidates' own conditions and index), so that the daily
    pass stays as small as what it sends."""
    now = utcnow()
    for model in MODELS:
        n, first = session.exec(select(func.count(col(model.id)), func.min(model.next_attempt_at))
                                .where(col(model.state) == "pending",
                                       col(model.next_attempt_at) > now,
                                       *_extra_conditions(model, settings))).one()
        report.waiting += int(n)
        if first is not None:
            first = first if first.tzinfo else first.replace(tzinfo=UTC)
            report.next_try = min(report.next_try or first, first)
    session.commit()


def _one(session: Session, model: Deliverable, row_id: int, settings: ReminderSettings,
         report: RunReport, breaker: CircuitBreaker) -> None:
    """Deliver one row, or defer it while the breaker is open; never raises."""
    try:
        if breaker.open:
            assert breaker.until is not None and breaker.reason is not None
            report.deferred += defer(session, model, row_id, utcnow(), breaker.until,
                                     f"not tried: {breaker.reason}")
            session.commit()
        else:
            _deliver(session, model, row_id, settings, report, breaker)
    except Exception:  # the database, most likely: the next row may fare better
        session.rollback()
        log.exception("%s %s: delivery step failed", model.__name__, row_id)


def recover_abandoned(session: Session, settings: ReminderSettings) -> int:
    """'sending' rows older than the claim lease: their process died mid-send.

    Whether the server took the message is unknown, so they are NOT sent again
    (at most once): they become 'unknown' and the staff page shows them.
    """
    count = 0
    for model in MODELS:
        now = utcnow()
        for row_id, token, attempt in stale_claims(session, model, now, settings.claim_lease):
            error = "the sending process stopped after claiming; delivery unknown"
            if mark_unknown(session, model, row_id, token, error):
                log_attempt(session, model, row_id, attempt, SendResult("unknown", None, error),
                            None, now)
                count += 1
                log.error("%s %s: outcome unknown (abandoned claim)", model.__name__, row_id)
        session.commit()
    return count


def _extra_conditions(model: Deliverable, settings: ReminderSettings) -> list[Any]:
    today = settings.today()
    if model is NurseDigest:
        return [NurseDigest.digest_date == today]
    if model is SelfReportMessage:
        return still_wanted(today)
    visit_ahead = exists().where(
        col(Assessment.id) == Reminder.assessment_id, Assessment.state == "pending",
        col(Assessment.target_date) == Reminder.visit_date, Assessment.target_date >= today)
    return [col(Reminder.send_on) <= today, visit_ahead]


def _candidates(session: Session, model: Deliverable, settings: ReminderSettings) -> list[int]:
    ids = session.exec(select(model.id).where(
        col(model.state) == "pending", due_condition(model, utcnow()),
        *_extra_conditions(model, settings)).order_by(col(model.id))).all()
    session.commit()  # end the read transaction before claiming
    return [int(i) for i in ids]  # type: ignore[arg-type]


def _deliver(session: Session, model: Deliverable, row_id: int, settings: ReminderSettings,
             report: RunReport, breaker: CircuitBreaker) -> None:
    token = claim(session, model, row_id, utcnow(), _extra_conditions(model, settings))
    session.commit()
    if token is None:
        report.claimed_elsewhere += 1
        return
    attempt = 1  # at least this one, should even reading the count fail
    try:
        attempt = int(session.exec(select(model.attempts).where(model.id == row_id)).one())
        composed = _compose(session, model, row_id, settings)
    except Exception as error:  # nothing was sent: safe to retry later
        log.exception("%s %s: could not compose the e-mail", model.__name__, row_id)
        composed = SendResult("error", None, f"{COMPOSE_FAILED}: {error!r}")
    session.rollback()  # end the read transaction; nothing was written
    if isinstance(composed, str):
        mark_cancelled(session, model, row_id, token, composed)
        session.commit()
        report.cancelled += 1
        return
    out, extra = composed if isinstance(composed, tuple) else (None, {})
    if out is not None and not _store_before_send(session, model, row_id, token, extra):
        report.claimed_elsewhere += 1
        return
    result = send(settings.smtp, out) if out is not None else composed
    assert isinstance(result, SendResult)
    mark = _Mark(model, row_id, attempt, token, result, out, extra)
    _record_safely(session, mark, settings, report)
    if result.server_down:
        breaker.trip(result.error or result.outcome, utcnow() + settings.backoff(attempt))


def _store_before_send(session: Session, model: Deliverable, row_id: int, token: str,
                       extra: dict[str, Any]) -> bool:
    """A self-report link works from the moment its e-mail may arrive: its hash is
    committed before sending (so ``extra`` is not written again when marking)."""
    link = extra.pop("token_hash", None)
    if link is None:
        return True
    won = change_state(session, model, owned(model, row_id, token), token_hash=link)
    session.commit()
    return won


def _compose(session: Session, model: Deliverable, row_id: int, settings: ReminderSettings
             ) -> tuple[Outgoing, dict[str, Any]] | str:
    row = session.get(model, row_id, populate_existing=True)
    if row is None:
        return "row deleted"
    domain = settings.smtp.domain
    if isinstance(row, SelfReportMessage):
        email = ladder_email(session, row, domain=domain, public_url=settings.public_url)
        return email if isinstance(email, str) else (email[0], {"token_hash": email[1]})
    if isinstance(row, Reminder):
        email = content.patient_email(session, row, domain)
        return email if isinstance(email, str) else (email, {})
    digest = content.digest_email(session, row, domain)
    return digest if isinstance(digest, str) else (digest[0], {"summary": digest[1]})


@dataclass(frozen=True)
class _Mark:
    """What to write after one attempt: the row, its claim, and how the attempt went."""

    model: Deliverable
    row_id: int
    attempt: int
    token: str
    result: SendResult
    out: Outgoing | None
    extra: dict[str, Any]


def _record_safely(session: Session, mark: _Mark, settings: ReminderSettings,
                   report: RunReport) -> None:
    """Mark and log; if that fails, at least move the row out of 'sending'.

    The second try writes the state alone (no log row, a plain error text). If even
    that fails the database is gone; the claim lease later turns the row 'unknown'.
    """
    try:
        _record(session, mark, settings, report)
        return
    except Exception:
        session.rollback()
        log.exception("%s %s: could not record the outcome %s", mark.model.__name__,
                      mark.row_id, mark.result.outcome)
    plain = replace(mark, result=replace(mark.result, error=f"{mark.result.outcome} "
                                         "(the full error could not be recorded)"))
    try:
        _transition(session, plain, settings, utcnow())
        session.commit()
    except Exception:
        session.rollback()
        log.exception("%s %s: left 'sending'; the claim lease will turn it 'unknown'",
                      mark.model.__name__, mark.row_id)


def _record(session: Session, mark: _Mark, settings: ReminderSettings,
            report: RunReport) -> None:
    now = utcnow()
    state = _transition(session, mark, settings, now)
    setattr(report, state, getattr(report, state) + 1)
    name = f"{mark.model.__name__} {mark.row_id} (attempt {mark.attempt})"
    if state == "sent":
        log.info("%s: sent %s", name, mark.out.message_id if mark.out else "")
    elif state == "unknown":
        log.error("%s: outcome unknown, not retried: %s", name, mark.result.error)
    else:
        log.warning("%s: %s (%s): %s", name, mark.result.outcome,
                    "gave up" if state == "failed" else "will retry", mark.result.error)
    log_attempt(session, mark.model, mark.row_id, mark.attempt, mark.result, mark.out, now)
    session.commit()


def _transition(session: Session, mark: _Mark, settings: ReminderSettings,
                now: datetime) -> str:
    """The row's new state for this result (sent, unknown, retrying or failed)."""
    result, model, row_id, token = mark.result, mark.model, mark.row_id, mark.token
    if result.outcome == "sent":
        mark_sent(session, model, row_id, token, now, **mark.extra)
        return "sent"
    if result.outcome == "unknown":
        mark_unknown(session, model, row_id, token, result.error or "unknown")
        return "unknown"
    give_up = result.permanent or mark.attempt >= settings.max_attempts
    mark_retry(session, model, row_id, token, error=result.error or result.outcome,
               give_up=give_up, next_attempt_at=now + settings.backoff(mark.attempt))
    return "failed" if give_up else "retrying"
