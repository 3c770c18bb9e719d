"""Security events: every log-in, failure, lockout and account change, with who, from
which address and when (table ``security_event``; admins read them per user)."""

from __future__ import annotations

from sqlmodel import Session

from clinic.models import SecurityEvent
from clinic.models.base import utcnow


def record_event(session: Session, kind: str, *, user_id: int | None = None,
                 actor_id: int | None = None, email: str | None = None,
                 address: str | None = None, detail: str | None = None) -> SecurityEvent:
    event = SecurityEvent(at=utcnow(), kind=kind, user_id=user_id, actor_id=actor_id,
                          email=(email or None) and email[:254],
                          address=(address or None) and address[:45],
                          detail=(detail or None) and detail[:300])
    session.add(event)
    return event
