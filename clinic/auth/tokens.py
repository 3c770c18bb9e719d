"""Per-user API tokens: shown once at creation, stored only as a SHA-256 hash, and
valid for a limited time (``API_TOKEN_DAYS``, at most ``API_TOKEN_MAX_DAYS``).

Tokens are 256-bit random values, so a fast hash is enough (no password stretching is
needed against guessing); the hash is compared by a unique-index lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from clinic.auth.events import record_event
from clinic.exceptions import NotFound, ValidationError
from clinic.models import ApiToken, User
from clinic.models.base import utcnow

TOKEN_PREFIX = "clk_"
NAME_MAX = 100
USE_RECORDED_EVERY = timedelta(minutes=5)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, user: User, name: str, days: int | None = None,
                 max_days: int = 365, default_days: int = 90) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the plain token (shown once)."""
    name = " ".join(name.split())
    errors = {}
    if not name or len(name) > NAME_MAX:
        errors["name"] = f"Name the token (1–{NAME_MAX} characters), e.g. 'data import'."
    elif _in_use(session, user, name):  # a page reloaded would make a second one
        errors["name"] = (f"You have a live token named '{name}': revoke it first, or give "
                          "this one another name (a name tells the programs' tokens apart).")
    days = default_days if days is None else days
    if not 1 <= days <= max_days:
        errors["days"] = f"A token lives 1 to {max_days} days."
    if errors:
        raise ValidationError(errors)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=hash_token(plain),  # type: ignore[arg-type]
                   prefix=plain[:10], expires_at=utcnow() + timedelta(days=days))
    session.add(row)
    session.flush()
    record_event(session, "token_created", user_id=user.id, actor_id=user.id,
                 detail=f"{row.prefix}… '{name}', {days} days")
    return row, plain


def _in_use(session: Session, user: User, name: str) -> bool:
    """Whether ``user`` has a token of this name (any case) that is neither revoked nor
    expired."""
    return session.exec(select(ApiToken.id).where(
        ApiToken.user_id == user.id, func.lower(ApiToken.name) == name.lower(),
        col(ApiToken.revoked_at).is_(None), ApiToken.expires_at > utcnow())).first() is not None


def user_for_token(session: Session, plain: str, now: datetime | None = None) -> User | None:
    """The active user owning this unrevoked, unexpired token, or None."""
    if not plain or len(plain) > 200:
        return None
    now = now or utcnow()
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(plain))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if row.last_used_at is None or row.last_used_at < now - USE_RECORDED_EVERY:
        session.execute(update(ApiToken).where(col(ApiToken.id) == row.id)
                        .values(last_used_at=now))  # the caller commits
    return user


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).where(ApiToken.user_id == user.id)
                             .order_by(ApiToken.created_at.desc())).all())  # type: ignore[attr-defined]


def revoke_token(session: Session, *, user: User, token_id: int,
                 actor_id: int | None = None) -> ApiToken:
    """Revoke one token of ``user`` (by the user, or by ``actor_id`` managing them)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("No such token.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record_event(session, "token_revoked", user_id=user.id,
                     actor_id=user.id if actor_id is None else actor_id,
                     detail=f"{row.prefix}… '{row.name}'")
    session.add(row)
    session.flush()
    return row


def revoke_all_tokens(session: Session, *, user_id: int, actor_id: int | None,
                      why: str) -> int:
    """Revoke every live token of the user (a password change or reset, a deactivation,
    an administrator ending the sessions); returns how many. Revoked stays revoked,
    also after a reactivation."""
    count = int(session.exec(  # type: ignore[call-overload]
        update(ApiToken).where(col(ApiToken.user_id) == user_id,
                               col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())).rowcount)
    if count:
        record_event(session, "token_revoked", user_id=user_id, actor_id=actor_id,
                     detail=f"all {count} token(s): {why}")
    return count
