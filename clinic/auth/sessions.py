"""Sessions held on the server.

The signed session cookie carries a random id (``sid``); the database keeps only its
SHA-256 hash in ``user_session``. A session is valid while its row is not ended and
was seen within the idle timeout. Logging out ends the row, so a copy of the cookie
taken before is worthless after; a password change, a reset or a deactivation ends
every row of that user.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from clinic.models import User, UserSession
from clinic.models.base import utcnow

SESSION_KEY = "sid"
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most once a minute


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, *, user_id: int, address: str | None,
                  user_agent: str | None) -> str:
    """A new session row; returns the token to put into the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user_id, token_hash=_hash(token), address=address,
                            user_agent=(user_agent or "")[:200] or None))
    return token


def find_session(session: Session, token: str | None) -> UserSession | None:
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    return session.exec(select(UserSession).where(
        UserSession.token_hash == _hash(token))).first()


def find_session_user(session: Session,
                      token: str | None) -> tuple[UserSession, User | None] | None:
    """The session row and its user, in one query (every request asks for both)."""
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    found = session.exec(_SESSION_USER, params={"token_hash": _hash(token)}).first()
    return None if found is None else (found[0], found[1])


_SESSION_USER = (select(UserSession, User)  # built once: every request reads it
                 .join(User, col(User.id) == col(UserSession.user_id), isouter=True)
                 .where(UserSession.token_hash == bindparam("token_hash")))


def is_idle(row: UserSession, now: datetime, idle: timedelta) -> bool:
    return row.last_seen_at < now - idle


def needs_touch(row: UserSession, now: datetime) -> bool:
    return row.last_seen_at < now - TOUCH_EVERY


def end_session(session: Session, row: UserSession, reason: str) -> None:
    if row.ended_at is None:
        row.ended_at, row.end_reason = utcnow(), reason
        session.add(row)


def end_all_sessions(session: Session, user_id: int, reason: str,
                     keep_id: int | None = None) -> int:
    """End every open session of ``user_id`` (but ``keep_id``); returns how many."""
    statement = (update(UserSession).where(col(UserSession.user_id) == user_id,
                                           col(UserSession.ended_at).is_(None))
                 .values(ended_at=utcnow(), end_reason=reason))
    if keep_id is not None:
        statement = statement.where(col(UserSession.id) != keep_id)
    return int(session.exec(statement).rowcount)  # type: ignore[call-overload]


def open_sessions(session: Session, user_id: int) -> list[UserSession]:
    return list(session.exec(select(UserSession).where(
        UserSession.user_id == user_id, col(UserSession.ended_at).is_(None))
        .order_by(col(UserSession.last_seen_at).desc())).all())
