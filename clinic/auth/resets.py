"""One-time password-reset links, issued by an administrator for one user.

The link carries 256 random bits; only their SHA-256 hash is stored. It works once,
for ``hours`` (24), and using it ends every session of the user.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from clinic.models import PasswordReset, User
from clinic.models.base import utcnow


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_reset(session: Session, *, user: User, actor_id: int | None,
                hours: float = 24) -> str:
    """A new link token for ``user``; earlier unused links of the user stop working."""
    for row in session.exec(select(PasswordReset).where(
            PasswordReset.user_id == user.id, col(PasswordReset.used_at).is_(None))):
        row.used_at = utcnow()
        session.add(row)
    token = secrets.token_urlsafe(32)
    session.add(PasswordReset(user_id=user.id, token_hash=_hash(token),  # type: ignore[arg-type]
                              created_by_id=actor_id,
                              expires_at=utcnow() + timedelta(hours=hours)))
    return token


def valid_reset(session: Session, token: str, now: datetime) -> PasswordReset | None:
    if not token or len(token) > 100:
        return None
    row = session.exec(select(PasswordReset).where(
        PasswordReset.token_hash == _hash(token))).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row
