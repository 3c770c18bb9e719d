"""One-time password-reset links, issued by an administrator for one user.

The link carries 256 random bits; only their SHA-256 hash is stored. It works once,
for ``hours`` (24), and using it ends every session of the user. It stops working as
soon as anything about the account changes (role, site, name, password, status), and
it is refused when the person who issued it may no longer manage the account: a link a
coordinator made for a nurse cannot be used once that user has become an administrator.
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


def cancel_resets(session: Session, user_id: int) -> int:
    """Every unused link of the user stops working; returns how many there were."""
    rows = session.exec(select(PasswordReset).where(
        PasswordReset.user_id == user_id, col(PasswordReset.used_at).is_(None))).all()
    for row in rows:
        row.used_at = utcnow()
        session.add(row)
    return len(rows)


def issue_reset(session: Session, *, user: User, actor_id: int | None,
                hours: float = 24) -> str:
    """A new link token for ``user``; earlier unused links of the user stop working."""
    cancel_resets(session, user.id)  # type: ignore[arg-type]
    token = secrets.token_urlsafe(32)
    session.add(PasswordReset(user_id=user.id, token_hash=_hash(token),  # type: ignore[arg-type]
                              created_by_id=actor_id,
                              expires_at=utcnow() + timedelta(hours=hours)))
    return token


def valid_reset(session: Session, token: str, now: datetime) -> tuple[PasswordReset, User] | None:
    """The unused, unexpired link and its active user, when its issuer (still active)
    may still manage that user's current role; else None."""
    from clinic.auth.service import can_manage

    if not token or len(token) > 100:
        return None
    row = session.exec(select(PasswordReset).where(
        PasswordReset.token_hash == _hash(token))).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if row.created_by_id is not None:
        issuer = session.get(User, row.created_by_id)
        if issuer is None or not issuer.is_active or not can_manage(issuer.role, user.role):
            return None
    return row, user
