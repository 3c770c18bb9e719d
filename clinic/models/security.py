"""Sessions held on the server, security events, one-time password-reset links and
forms kept across a log-in."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from clinic.catalog import SECURITY_EVENTS
from clinic.models.base import UTCDateTime, check_in, utcnow


class UserSession(SQLModel, table=True):
    """One logged-in browser. The cookie carries a random id; only its hash is stored, so
    ending the row ends the session wherever the cookie was copied to."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_reason: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=200)
    # A second-factor secret being set up in this session, until a code confirms it
    # (kept here, not in the cookie, which is signed but not encrypted).
    pending_totp_secret: str | None = Field(default=None, max_length=64)


class SecurityEvent(SQLModel, table=True):
    """Log-ins, failures, lockouts, password and account changes: who, from where, when."""

    __tablename__ = "security_event"
    __table_args__ = (
        check_in("kind", SECURITY_EVENTS, "kind_known"),
        Index("ix_security_event_address_at", "address", "at"),
        Index("ix_security_event_email_at", "email", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    kind: str = Field(max_length=30)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=45)
    detail: str | None = Field(default=None, max_length=300)


class PasswordReset(SQLModel, table=True):
    """A one-time link to set a new password; only the hash of its token is kept."""

    __tablename__ = "password_reset"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FormDraft(SQLModel, table=True):
    """What a user typed into a form when the session had ended: shown again after the
    log-in, then deleted (kept two hours at most), to its own user only. (``user_id`` is
    nullable for rows written before drafts needed an owner; such rows are never shown.)"""

    __tablename__ = "form_draft"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    path: str = Field(max_length=300)
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LoginThrottle(SQLModel, table=True):
    """Failure count and lockout of an e-mail address that has no active account.

    Known accounts keep the same three numbers on ``app_user``; unknown addresses keep
    them here, so that both lock, expire and double in exactly the same way and the
    lockout does not tell whether an account exists.
    """

    __tablename__ = "login_throttle"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    failed_logins: int = Field(default=0)
    lockouts: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
