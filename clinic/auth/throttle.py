"""Log-in throttling: per account (lockout with a growing delay) and per address.

An account is locked after ``max_failures`` wrong passwords or codes in a row, for
``lock`` (15 minutes), doubling with each further lockout (at most a day); an
administrator may unlock it at once. An address with ``address_max`` failures within
``address_window`` gets no answer but "try later" until the window has passed. Unknown
e-mail addresses are "locked" the same way, from the failure log, so that the answer
does not tell whether an account exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from clinic.models import SecurityEvent, User

FAILURE_KINDS = ("login_failed", "totp_failed")
LONGEST_LOCK = timedelta(days=1)


@dataclass(frozen=True)
class ThrottleSettings:
    max_failures: int = 5
    lock: timedelta = timedelta(minutes=15)
    address_max: int = 20
    address_window: timedelta = timedelta(minutes=15)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ThrottleSettings:
        return cls(max_failures=max(int(config["LOGIN_MAX_FAILURES"]), 1),
                   lock=timedelta(minutes=float(config["LOGIN_LOCK_MINUTES"])),
                   address_max=max(int(config["LOGIN_ADDRESS_MAX_FAILURES"]), 1),
                   address_window=timedelta(minutes=float(config["LOGIN_ADDRESS_WINDOW_MINUTES"])))


def address_blocked_until(session: Session, address: str | None, now: datetime,
                          settings: ThrottleSettings) -> datetime | None:
    if not address:
        return None
    since = now - settings.address_window
    count, last = session.exec(select(func.count(), func.max(SecurityEvent.at)).where(
        SecurityEvent.address == address, col(SecurityEvent.kind).in_(FAILURE_KINDS),
        SecurityEvent.at >= since)).one()
    return last + settings.address_window if count >= settings.address_max and last else None


def account_locked_until(user: User, now: datetime) -> datetime | None:
    return user.locked_until if user.locked_until and user.locked_until > now else None


def unknown_email_locked_until(session: Session, email: str, now: datetime,
                               settings: ThrottleSettings) -> datetime | None:
    """Counting this attempt too: the fifth failure "locks", as for a real account."""
    since = now - settings.lock
    count = session.exec(select(func.count()).where(
        SecurityEvent.email == email, col(SecurityEvent.user_id).is_(None),
        SecurityEvent.kind == "login_failed", SecurityEvent.at >= since)).one()
    return now + settings.lock if count + 1 >= settings.max_failures else None


def register_failure(user: User, now: datetime, settings: ThrottleSettings) -> bool:
    """Count a failure; True when it locked the account."""
    user.failed_logins += 1
    if user.failed_logins < settings.max_failures:
        return False
    user.locked_until = now + min(settings.lock * 2 ** user.lockouts, LONGEST_LOCK)
    user.lockouts += 1
    user.failed_logins = 0
    return True


def register_success(user: User) -> None:
    user.failed_logins, user.lockouts, user.locked_until = 0, 0, None


def unlock(user: User) -> None:
    register_success(user)
