"""Per-user API tokens: shown once at creation, stored only as a SHA-256 hash.

Tokens are 256-bit random values, so a fast hash is enough (no password stretching is
needed against guessing); the hash is compared by a unique-index lookup.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, select

from clinic.exceptions import NotFound, ValidationError
from clinic.models import ApiToken, User
from clinic.models.base import utcnow

TOKEN_PREFIX = "clk_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the plain token (shown once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": "Name the token (1–100 characters), e.g. 'data import'."})
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=hash_token(plain),  # type: ignore[arg-type]
                   prefix=plain[:10])
    session.add(row)
    session.flush()
    return row, plain


def user_for_token(session: Session, plain: str) -> User | None:
    """The active user owning this unrevoked token, or None."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(plain))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).where(ApiToken.user_id == user.id)
                             .order_by(ApiToken.created_at.desc())).all())  # type: ignore[attr-defined]


def revoke_token(session: Session, *, user: User, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("No such token.")
    row.revoked_at = row.revoked_at or utcnow()
    session.add(row)
    session.flush()
    return row
