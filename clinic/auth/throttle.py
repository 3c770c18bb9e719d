"""Log-in throttling: per account (lockout with a growing delay) and per address.

An account is locked after ``max_failures`` wrong passwords or codes in a row, for
``lock`` (15 minutes), doubling with each further lockout (at most a day); an
administrator may unlock it at once. An address with ``address_max`` failures within
``address_window`` gets no answer but "try later" until the window has passed. Unknown
e-mail addresses (and inactive accounts) keep the same counters in ``login_throttle``
and go through the very same functions, so that lockouts start, expire and double
alike: the answer does not tell whether an account exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from clinic.models import LoginThrottle, SecurityEvent

FAILURE_KINDS = ("login_failed", "totp_failed")
LONGEST_LOCK = timedelta(days=1)
FORGET_UNKNOWN_AFTER = timedelta(days=2)  # unknown addresses' counters are dropped then


class Counters(Protocol):
    """What a lockout counts: an account (``User``) or an unknown address (``LoginThrottle``)."""

    failed_logins: int
    lockouts: int
    locked_until: datetime | None


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


def account_locked_until(counters: Counters, now: datetime) -> datetime | None:
    return counters.locked_until if counters.locked_until and counters.locked_until > now \
        else None


def unknown_counters(session: Session, email: str, now: datetime) -> LoginThrottle:
    """The counters of an address with no active account (made on first use)."""
    if now.minute == 0:  # now and then, forget addresses nobody has tried for days
        session.execute(delete(LoginThrottle).where(
            col(LoginThrottle.updated_at) < now - FORGET_UNKNOWN_AFTER))
    row = session.exec(select(LoginThrottle).where(LoginThrottle.email == email)).first()
    return row or LoginThrottle(email=email, updated_at=now)


def register_failure(counters: Counters, now: datetime, settings: ThrottleSettings) -> bool:
    """Count a failure; True when it locked the account (or address)."""
    counters.failed_logins += 1
    if counters.failed_logins < settings.max_failures:
        return False
    counters.locked_until = now + min(settings.lock * 2 ** counters.lockouts, LONGEST_LOCK)
    counters.lockouts += 1
    counters.failed_logins = 0
    return True


def register_success(counters: Counters) -> None:
    counters.failed_logins, counters.lockouts, counters.locked_until = 0, 0, None


def unlock(counters: Counters) -> None:
    register_success(counters)

