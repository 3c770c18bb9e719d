"""The logged-in user of a request, from the server-side session (see sessions.py),
and the gates a user must pass before anything else (a forced password change, the
second factor administrators may be required to set up)."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta

from flask import current_app, g, request, session, url_for
from flask_login import current_user
from sqlalchemy import update
from sqlmodel import Session, col

from clinic.auth.events import record_event
from clinic.auth.sessions import SESSION_KEY, find_session_user, is_idle, needs_touch
from clinic.db import autocommit_engine, get_engine, get_session
from clinic.models import User, UserSession
from clinic.models.base import utcnow

# Endpoints a user may reach while a gate is closed.
GATE_OPEN = frozenset({"auth.logout", "static", "account.password", "account.two_step",
                       "auth.login"})


def load_session_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the user of a live, not idle, session row.

    Marking the session seen (or ended) must stick even when the request rolls back:
    the rare write, once a few minutes or at the end, has a short transaction of its
    own. The row is read on PostgreSQL as the request's first statement, in its own
    transaction (one pooled connection checked out per request, not two: a tenth of a
    follow-up save's time went to the second); on SQLite in autocommit, outside the
    request's transaction, whose write lock (a write request takes it when it begins)
    the write of the session row would otherwise wait for.
    """
    reader = (nullcontext(get_session()) if get_engine().dialect.name == "postgresql"
              else Session(autocommit_engine(), expire_on_commit=False))
    with reader as db:
        found = find_session_user(db, session.get(SESSION_KEY))
    if found is None:
        return None
    row, user = found
    if row.ended_at is not None or str(row.user_id) != str(user_id):
        return None
    now = utcnow()
    config = current_app.config
    idle = timedelta(minutes=float(config["SESSION_IDLE_MINUTES"]))
    longest = timedelta(hours=float(config["SESSION_MAX_HOURS"]))
    if is_idle(row, now, idle) or row.created_at < now - longest:
        with Session(get_engine(), expire_on_commit=False) as db:
            _end(db, row, "idle" if is_idle(row, now, idle) else "too old")
        g.expired_user_id = row.user_id
        return None
    if user is None or not user.is_active:
        return None
    g.user_session_id = row.id
    if needs_touch(row, now):
        with Session(get_engine(), expire_on_commit=False) as db:
            db.execute(update(UserSession).where(col(UserSession.id) == row.id)
                       .values(last_seen_at=now))
            db.commit()
    return user


def _end(db: Session, row: UserSession, reason: str) -> None:
    db.execute(update(UserSession).where(col(UserSession.id) == row.id,
                                         col(UserSession.ended_at).is_(None))
               .values(ended_at=utcnow(), end_reason=reason))
    record_event(db, "session_expired", user_id=row.user_id, detail=reason,
                 address=request.remote_addr)
    db.commit()


def gate_redirect() -> str | None:
    """Where a logged-in user must go first, or None."""
    if request.endpoint in GATE_OPEN or request.path.startswith("/api/"):
        return None
    if current_user.must_change_password:
        return url_for("account.password", next=_here())
    if (current_app.config["REQUIRE_TOTP_FOR_ADMINS"] and current_user.role == "admin"
            and not current_user.has_totp):
        return url_for("account.two_step", next=_here())
    return None


def _here() -> str:
    """The page asked for, to come back to: its query string only if it has one
    (``full_path`` reads "/?" for the home page)."""
    return request.full_path.removesuffix("?")
