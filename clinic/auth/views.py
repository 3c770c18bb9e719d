"""Log in (password, then the second factor when the account has one) and log out."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from clinic.auth.events import record_event
from clinic.auth.login import LoginCheck, check_password, check_second_factor, logged_in
from clinic.auth.roles import any_user, public
from clinic.auth.sessions import SESSION_KEY, end_session, find_session, start_session
from clinic.auth.throttle import ThrottleSettings
from clinic.db import get_session, retry_on_race
from clinic.models import User
from clinic.models.base import utcnow
from clinic.web.filters import local_time
from clinic.web.urls import same_site_path

bp = Blueprint("auth", __name__)
PENDING = "pending_second_factor"  # user id waiting for its code, in the signed cookie
PENDING_SECONDS = 300


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(_next())
    errors: dict[str, str] = {}
    if request.method == "POST":
        db = get_session()
        check = retry_on_race(_checked_password)
        if check.user is not None and check.user.has_totp:
            db.commit()
            session.clear()
            session[PENDING] = {"user": check.user.id, "at": utcnow().timestamp()}
            return redirect(url_for("auth.verify", next=request.args.get("next")))
        if check.user is not None:
            return _complete(check.user)
        errors["form"] = _with_time(check.message, check.locked_until)
        status = 429 if check.locked_until else 401
        return render_template("auth/login.html", errors=errors, values=request.form), status
    return render_template("auth/login.html", errors=errors, values=request.form)


def _checked_password() -> LoginCheck:
    """The password check; a failure is stored (and committed) at once. Two failures
    for the same unknown address at the same moment may race: the loser retries."""
    db = get_session()
    check = check_password(db, email=request.form.get("email", ""),
                           password=request.form.get("password", ""),
                           address=request.remote_addr, now=utcnow(),
                           settings=ThrottleSettings.from_config(current_app.config))
    if check.user is None:
        db.commit()
    return check


@bp.route("/login/code", methods=["GET", "POST"])
@public
def verify() -> Any:
    db = get_session()
    pending = session.get(PENDING) or {}
    user = db.get(User, pending.get("user")) if isinstance(pending.get("user"), int) else None
    if (user is None or not user.is_active or not user.has_totp
            or utcnow().timestamp() - float(pending.get("at", 0)) > PENDING_SECONDS):
        session.pop(PENDING, None)
        flash("Log in again: the step for the code had expired.", "error")
        return redirect(url_for("auth.login"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        check = check_second_factor(db, user=user, code=request.form.get("code", "")[:20],
                                    address=request.remote_addr, now=utcnow(),
                                    settings=ThrottleSettings.from_config(current_app.config))
        if check.user is not None:
            return _complete(check.user)
        db.commit()
        errors["code"] = _with_time(check.message, check.locked_until)
        if check.locked_until:
            session.pop(PENDING, None)
    return render_template("auth/code.html", errors=errors), 422 if errors else 200


def _complete(user: User) -> Response:
    """A new server-side session (a fresh cookie: no fixation), then where they were going."""
    db = get_session()
    logged_in(db, user, request.remote_addr)
    token = start_session(db, user_id=user.id, address=request.remote_addr,  # type: ignore[arg-type]
                          user_agent=request.user_agent.string)
    db.commit()
    session.clear()
    session[SESSION_KEY] = token
    login_user(user)
    return redirect(_next())


def _next() -> str:
    return same_site_path(request.args.get("next")) or url_for("web.home")


def _with_time(message: str | None, until: Any) -> str:
    text = message or "E-mail or password not recognised."
    return f"{text} (until {local_time(until)})" if until else text


@bp.route("/logout", methods=["POST"])
@any_user
def logout() -> Response:
    db = get_session()
    row = find_session(db, session.get(SESSION_KEY))
    if row is not None:
        end_session(db, row, "logged out")
    record_event(db, "logout", user_id=current_user.id, address=request.remote_addr)
    db.commit()
    logout_user()
    session.clear()
    g.pop("user_session_id", None)
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
