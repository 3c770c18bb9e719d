"""Checking a log-in: password, lockout, address throttle, then the second factor.

Every path through :func:`check_password` computes exactly one password hash (the
user's, or a dummy one for an unknown address), so the answer takes as long for an
unknown e-mail as for a known one: the time does not tell which accounts exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlmodel import Session, select
from werkzeug.security import check_password_hash

from clinic.auth.events import record_event
from clinic.auth.passwords import hash_password
from clinic.auth.throttle import (
    Counters,
    ThrottleSettings,
    account_locked_until,
    address_blocked_until,
    register_failure,
    register_success,
    unknown_counters,
)
from clinic.auth.totp import accepted_step
from clinic.models import LoginThrottle, User

NOT_RECOGNISED = "E-mail or password not recognised."
DEACTIVATED = ("This account is deactivated, so it cannot log in. Ask an administrator of "
               "the study to reactivate it if you still work on the study.")
MAX_EMAIL, MAX_PASSWORD = 254, 200


@dataclass(frozen=True)
class LoginCheck:
    user: User | None  # set when the password was right and nothing blocks the account
    message: str | None = None  # why not, in words for the person at the screen
    locked_until: datetime | None = None


@cache
def _dummy_hash() -> str:
    """A hash made like the real ones, for unknown e-mails (same cost, never matches)."""
    return hash_password("no account has this password: it evens out the timing")


def check_password(session: Session, *, email: str, password: str, address: str | None,
                   now: datetime, settings: ThrottleSettings) -> LoginCheck:
    email = (email or "").strip().lower()[:MAX_EMAIL]
    password = (password or "")[:MAX_PASSWORD]
    user = session.exec(select(User).where(User.email == email)).first() if email else None
    known = user is not None and user.is_active
    # a deactivated account's own hash: told it is deactivated only with its password
    is_right = check_password_hash(user.password_hash if user is not None else _dummy_hash(),
                                   password)
    blocked = address_blocked_until(session, address, now, settings)
    if blocked:
        record_event(session, "throttled", user_id=user.id if known else None,  # type: ignore[union-attr]
                     email=email, address=address)
        return LoginCheck(None, "Too many failed log-ins from this network address.", blocked)
    counters: Counters = user if known else unknown_counters(session, email, now)  # type: ignore[assignment]
    user_id = user.id if known else None  # type: ignore[union-attr]
    locked = account_locked_until(counters, now)
    if locked:
        record_event(session, "login_failed", user_id=user_id, email=email, address=address,
                     detail="account locked")
        return LoginCheck(None, _locked_message(), locked)
    if not known:
        check = _failure(session, counters, None, email, address, now, settings,
                         "unknown or inactive account")
        if user is not None and is_right and check.locked_until is None:
            return LoginCheck(None, DEACTIVATED)  # not "password not recognised": it is right
        return check
    if not is_right:
        return _failure(session, counters, user_id, email, address, now, settings,
                        "wrong password")
    return LoginCheck(user)


def check_second_factor(session: Session, *, user: User, code: str, address: str | None,
                        now: datetime, settings: ThrottleSettings) -> LoginCheck:
    locked = account_locked_until(user, now)
    if locked:
        return LoginCheck(None, _locked_message(), locked)
    step = accepted_step(user.totp_secret or "", code or "", now, user.totp_last_step)
    if step is None:
        check = _failure(session, user, user.id, user.email, address, now, settings,
                         "wrong code", kind="totp_failed")
        return check if check.locked_until else LoginCheck(None, "That code is not right "
                                                           "(or was used already).")
    user.totp_last_step = step
    session.add(user)
    return LoginCheck(user)


def logged_in(session: Session, user: User, address: str | None) -> None:
    register_success(user)
    session.add(user)
    record_event(session, "login", user_id=user.id, email=user.email, address=address)


def _failure(session: Session, counters: Counters, user_id: int | None, email: str,
             address: str | None, now: datetime, settings: ThrottleSettings, detail: str,
             kind: str = "login_failed") -> LoginCheck:
    """Count a failure on an account or an unknown address, alike."""
    locked = register_failure(counters, now, settings)
    if isinstance(counters, LoginThrottle):
        counters.updated_at = now
    session.add(counters)
    record_event(session, kind, user_id=user_id, email=email, address=address, detail=detail)
    if locked:
        record_event(session, "locked", user_id=user_id, email=email, address=address,
                     detail=f"until {counters.locked_until:%Y-%m-%d %H:%M} UTC")  # type: ignore[str-format]
        return LoginCheck(None, _locked_message(), counters.locked_until)
    return LoginCheck(None, NOT_RECOGNISED)


def _locked_message() -> str:
    return ("This account is locked after too many failed log-ins. Try again later, or ask "
            "an administrator to unlock it.")
