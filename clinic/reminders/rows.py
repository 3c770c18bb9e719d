"""State changes of reminder and digest rows, each one conditional UPDATE.

Every transition names the state (or the claim token) it expects in its WHERE clause,
so two processes can never both win: the database decides, ``rowcount`` tells.
The caller commits right after each transition (see :mod:`clinic.reminders`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import ColumnElement, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from clinic.models import DeliveryAttempt, NurseDigest, Reminder, SelfReportMessage
from clinic.reminders.mail import Outgoing, SendResult

Deliverable = type[Reminder] | type[NurseDigest] | type[SelfReportMessage]
# channel and delivery_attempt column of each kind of row
SOURCES: dict[type, tuple[str, str]] = {
    Reminder: ("patient_visit", "reminder_id"),
    NurseDigest: ("nurse_digest", "digest_id"),
    SelfReportMessage: ("self_report", "invitation_id"),
}
CLAIMABLE = "pending"


def insert_ignore(session: Session, model: Any, values: dict[str, Any],
                  conflict: Sequence[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING pk; True when this call inserted the row.

    (``rowcount`` is not reliable here: PostgreSQL reports -1 for INSERT ... RETURNING.)
    """
    table = model.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(table).values(**values)
                 .on_conflict_do_nothing(index_elements=list(conflict))
                 .returning(*table.primary_key.columns))
    return session.exec(statement).first() is not None  # type: ignore[call-overload]


def insert_rows(session: Session, model: Any, rows: Sequence[dict[str, Any]],
                conflict: Sequence[str]) -> int:
    """Many rows in one executemany, skipping those that exist (ON CONFLICT DO NOTHING);
    returns the number inserted. (SQLAlchemy batches it into multi-row INSERTs with one
    compiled statement: "insertmanyvalues".)"""
    if not rows:
        return 0
    table = model.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(table).on_conflict_do_nothing(index_elements=list(conflict))
                 .returning(*table.primary_key.columns))
    return len(session.execute(statement, list(rows)).all())


def change_state(session: Session, model: Deliverable,
                 conditions: Sequence[ColumnElement[bool]], **values: Any) -> bool:
    """One conditional UPDATE of one row; True when it matched (this caller won)."""
    statement = update(model.__table__).where(*conditions).values(**values)  # Core, not ORM
    result = session.exec(statement)  # type: ignore[call-overload]
    return bool(result.rowcount == 1)


def due_condition(model: Deliverable, now: datetime) -> ColumnElement[bool]:
    return or_(col(model.next_attempt_at).is_(None), col(model.next_attempt_at) <= now)


def claim(session: Session, model: Deliverable, row_id: int, now: datetime,
          extra: Sequence[ColumnElement[bool]] = ()) -> str | None:
    """pending -> sending for this process; returns the claim token, or None if lost."""
    token = uuid4().hex
    won = change_state(session, model,
                  [model.id == row_id, col(model.state) == CLAIMABLE,
                   due_condition(model, now), *extra],
                  state="sending", claim_token=token, claimed_at=now,
                  attempts=model.attempts + 1)
    return token if won else None


def owned(model: Deliverable, row_id: int, token: str) -> list[ColumnElement[bool]]:
    return [model.id == row_id, model.claim_token == token,
            col(model.state).in_(("sending", "unknown"))]


def mark_sent(session: Session, model: Deliverable, row_id: int, token: str, now: datetime,
              **extra: Any) -> bool:
    """The server took it: sent (also from 'unknown' if a slow send outlived its lease)."""
    return change_state(session, model, owned(model, row_id, token), state="sent", sent_at=now,
                   last_error=None, next_attempt_at=None, **extra)


def mark_retry(session: Session, model: Deliverable, row_id: int, token: str, *,
               error: str, give_up: bool, next_attempt_at: datetime) -> bool:
    """Not taken: back to pending after a back-off, or failed for good."""
    return change_state(session, model, owned(model, row_id, token),
                   state="failed" if give_up else "pending", last_error=printable(error)[:1000],
                   next_attempt_at=None if give_up else next_attempt_at)


def mark_unknown(session: Session, model: Deliverable, row_id: int, token: str,
                 error: str) -> bool:
    return change_state(session, model, owned(model, row_id, token), state="unknown",
                   last_error=printable(error)[:1000])


def defer(session: Session, model: Deliverable, row_id: int, now: datetime,
          until: datetime, reason: str) -> bool:
    """Not tried in this run (the mail server is down): try after ``until``.

    Not claimed, so no attempt is used up; a row another process claimed meanwhile is
    left alone (it is no longer 'pending').
    """
    return change_state(session, model, [model.id == row_id, col(model.state) == CLAIMABLE,
                                         due_condition(model, now)],
                        next_attempt_at=until, last_error=printable(reason)[:1000])


def mark_cancelled(session: Session, model: Deliverable, row_id: int, token: str,
                   note: str) -> bool:
    """The claimer found nothing to send (consent withdrawn, nothing due): no e-mail."""
    return change_state(session, model, owned(model, row_id, token), state="cancelled",
                   note=note[:300], attempts=model.attempts - 1)


def cancel_pending(session: Session, model: Deliverable, row_id: int, note: str) -> bool:
    return change_state(session, model, [model.id == row_id, col(model.state) == "pending"],
                   state="cancelled", note=note[:300])


def stale_claims(session: Session, model: Deliverable, now: datetime,
                 lease: timedelta) -> list[tuple[int, str, int]]:
    """(id, token, attempts) of rows claimed longer ago than the lease: process gone."""
    rows = session.exec(select(model.id, model.claim_token, model.attempts).where(
        col(model.state) == "sending", col(model.claimed_at) < now - lease)).all()
    return [(int(i), str(t), int(a)) for i, t, a in rows]  # type: ignore[arg-type]


def printable(text: str) -> str:
    """Control characters spelled out (a CR/LF in an address stays visible and harmless,
    and PostgreSQL refuses NUL in text)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _clip(text: str | None, length: int) -> str | None:
    return printable(text)[:length] if text else None


def log_attempt(session: Session, model: Deliverable, row_id: int, attempt: int,
                result: SendResult, out: Outgoing | None, now: datetime) -> None:
    """One delivery_attempt row; every text clipped to its column, so logging cannot fail
    on an odd address."""
    channel, column = SOURCES[model]
    session.add(DeliveryAttempt(
        at=now, channel=channel, attempt=attempt, **{column: row_id},
        recipient=_clip(out.to, 254) if out else None,
        subject=_clip(out.subject, 300) if out else None,
        message_id=_clip(out.message_id, 200) if out else None, outcome=result.outcome,
        smtp_code=result.code, error=_clip(result.error, 1000)))
