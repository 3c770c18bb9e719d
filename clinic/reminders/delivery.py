"""One run: plan the rows, then claim, send and mark them one by one.

Each step commits on its own (see the protocol in :mod:`clinic.reminders`): the claim
is committed before the SMTP conversation starts, the outcome right after it ends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from typing import Any

from flask import Flask
from sqlalchemy import exists
from sqlmodel import Session, col, select

from clinic.db import get_engine
from clinic.models import Assessment, NurseDigest, Reminder
from clinic.models.base import utcnow
from clinic.reminders import content
from clinic.reminders.mail import Outgoing, SendResult, send
from clinic.reminders.planning import plan_digests, plan_patient_reminders
from clinic.reminders.rows import (
    Deliverable,
    claim,
    due_condition,
    log_attempt,
    mark_cancelled,
    mark_retry,
    mark_sent,
    mark_unknown,
    stale_claims,
)
from clinic.reminders.settings import ReminderSettings, reminder_settings

log = logging.getLogger("clinic.reminders")


@dataclass
class RunReport:
    planned: int = 0
    digests_planned: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unknown: int = 0
    cancelled: int = 0
    claimed_elsewhere: int = 0

    def describe(self) -> str:
        return ", ".join(f"{f.name.replace('_', ' ')} {getattr(self, f.name)}"
                         for f in fields(self))


def run_once(app: Flask) -> RunReport:
    """Plan today's reminders and digests, then deliver everything that is due."""
    settings = reminder_settings(app.config)
    report = RunReport()
    today = settings.today()
    with Session(get_engine(app), expire_on_commit=False) as session:
        report.planned = plan_patient_reminders(session, today=today,
                                                days_before=settings.days_before)
        report.digests_planned = plan_digests(session, today=today)
        session.commit()
    return deliver_due(app, report)


def deliver_due(app: Flask, report: RunReport | None = None) -> RunReport:
    """Deliver pending rows whose time has come; first give up on abandoned claims."""
    settings = reminder_settings(app.config)
    report = report or RunReport()
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as session:
        report.unknown += recover_abandoned(session, settings)
        for model in (Reminder, NurseDigest):
            for row_id in _candidates(session, model, settings):
                _deliver(session, model, row_id, settings, report)
    return report


def recover_abandoned(session: Session, settings: ReminderSettings) -> int:
    """'sending' rows older than the claim lease: their process died mid-send.

    Whether the server took the message is unknown, so they are NOT sent again
    (at most once): they become 'unknown' and the staff page shows them.
    """
    count = 0
    for model in (Reminder, NurseDigest):
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
    still_wanted = exists().where(
        col(Assessment.id) == Reminder.assessment_id, Assessment.state == "pending",
        col(Assessment.target_date) == Reminder.visit_date, Assessment.target_date >= today)
    return [col(Reminder.send_on) <= today, still_wanted]


def _candidates(session: Session, model: Deliverable, settings: ReminderSettings) -> list[int]:
    ids = session.exec(select(model.id).where(
        col(model.state) == "pending", due_condition(model, utcnow()),
        *_extra_conditions(model, settings)).order_by(col(model.id))).all()
    session.commit()  # end the read transaction before claiming
    return [int(i) for i in ids]  # type: ignore[arg-type]


def _deliver(session: Session, model: Deliverable, row_id: int, settings: ReminderSettings,
             report: RunReport) -> None:
    token = claim(session, model, row_id, utcnow(), _extra_conditions(model, settings))
    session.commit()
    if token is None:
        report.claimed_elsewhere += 1
        return
    row = session.get(model, row_id, populate_existing=True)
    assert row is not None
    try:
        composed = _compose(session, row, settings)
    except Exception as error:  # nothing was sent: safe to retry later
        log.exception("%s %s: could not compose the e-mail", model.__name__, row_id)
        composed = SendResult("error", None, f"compose failed: {error!r}")
    session.commit()
    if isinstance(composed, str):
        mark_cancelled(session, model, row_id, token, composed)
        session.commit()
        report.cancelled += 1
    elif isinstance(composed, SendResult):
        _record(session, model, row, token, composed, None, {}, settings, report)
    else:
        out, extra = composed
        _record(session, model, row, token, send(settings.smtp, out), out, extra, settings,
                report)


def _compose(session: Session, row: Any, settings: ReminderSettings
             ) -> tuple[Outgoing, dict[str, Any]] | str:
    domain = settings.smtp.domain
    if isinstance(row, Reminder):
        email = content.patient_email(session, row, domain)
        return email if isinstance(email, str) else (email, {})
    digest = content.digest_email(session, row, domain)
    return digest if isinstance(digest, str) else (digest[0], {"summary": digest[1]})


def _record(session: Session, model: Deliverable, row: Any, token: str, result: SendResult,
            out: Outgoing | None, extra: dict[str, Any], settings: ReminderSettings,
            report: RunReport) -> None:
    now = utcnow()
    name = f"{model.__name__} {row.id} (attempt {row.attempts})"
    if result.outcome == "sent":
        mark_sent(session, model, row.id, token, now, **extra)
        report.sent += 1
        log.info("%s: sent %s", name, out.message_id if out else "")
    elif result.outcome == "unknown":
        mark_unknown(session, model, row.id, token, result.error or "unknown")
        report.unknown += 1
        log.error("%s: outcome unknown, not retried: %s", name, result.error)
    else:
        give_up = row.attempts >= settings.max_attempts
        mark_retry(session, model, row.id, token, error=result.error or result.outcome,
                   give_up=give_up, next_attempt_at=now + settings.backoff(row.attempts))
        report.failed += give_up
        report.retrying += not give_up
        log.warning("%s: %s (%s): %s", name, result.outcome,
                    "gave up" if give_up else "will retry", result.error)
    log_attempt(session, model, row.id, row.attempts, result, out, now)
    session.commit()
