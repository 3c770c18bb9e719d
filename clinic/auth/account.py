"""Your account: change the password, the second factor, your sessions; and the page a
one-time password-reset link opens."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response

from clinic.auth.events import record_event
from clinic.auth.passwords import MIN_LENGTH
from clinic.auth.resets import valid_reset
from clinic.auth.roles import any_user, public
from clinic.auth.service import set_password
from clinic.auth.sessions import end_all_sessions, open_sessions
from clinic.auth.totp import accepted_step, new_secret, provisioning_uri, qr_svg_data_uri
from clinic.db import get_session
from clinic.exceptions import ValidationError
from clinic.models import User, UserSession
from clinic.models.base import utcnow
from clinic.web.urls import same_site_path

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("")
@any_user
def index() -> str:
    return render_template("account/index.html", sessions=open_sessions(
        get_session(), current_user.id), current_session=g.get("user_session_id"))


@bp.route("/password", methods=["GET", "POST"])
@any_user
def password() -> Any:
    errors: dict[str, str] = {}
    if request.method == "POST":
        db = get_session()
        user = db.get(User, current_user.id)
        assert user is not None
        if not check_password_hash(user.password_hash,
                                   request.form.get("current_password", "")[:200]):
            errors["current_password"] = "That is not your current password."
        elif check_password_hash(user.password_hash, request.form.get("password", "")[:200]):
            errors["password"] = ("Choose a new password, not the current one" + (
                ": the one set for you is known to whoever set it." if
                user.must_change_password else "."))
        else:
            errors = _store_new_password(user, "password_changed", g.get("user_session_id"))
        if not errors:
            flash("Password changed. Your other sessions have been logged out and your API "
                  "tokens revoked (make new ones under API tokens if you need them).", "success")
            return redirect(same_site_path(request.args.get("next")) or url_for("account.index"))
    return render_template("account/password.html", errors=errors, min_length=MIN_LENGTH,
                           forced=current_user.must_change_password), 422 if errors else 200


def _store_new_password(user: User, kind: str, keep: int | None) -> dict[str, str]:
    db = get_session()
    new, again = request.form.get("password", ""), request.form.get("password_again", "")
    if new != again:
        return {"password_again": "The two new passwords differ."}
    try:
        set_password(db, user=user, password=new, kind=kind, actor_id=user.id,
                     keep_session_id=keep, address=request.remote_addr)
        db.commit()
    except ValidationError as error:
        db.rollback()
        return error.errors
    return {}


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset(token: str) -> Any:
    db = get_session()
    found = valid_reset(db, token, utcnow())
    if found is None:
        return render_template("account/reset_invalid.html"), 404
    row, user = found
    errors: dict[str, str] = {}
    if request.method == "POST":
        row.used_at = utcnow()
        db.add(row)
        errors = _store_new_password(user, "password_reset_used", None)
        if not errors:
            session.clear()
            flash("Your new password is set. Log in with it.", "success")
            return redirect(url_for("auth.login"))
    return render_template("account/reset.html", user=user, errors=errors,
                           min_length=MIN_LENGTH), 422 if errors else 200


@bp.route("/two-step", methods=["GET", "POST"])
@any_user
def two_step() -> Any:
    """Set up the second factor: the secret waits on the session row (never in the
    cookie) until the password and a code from the app confirm it, so that someone
    holding a stolen session cannot tie the account to their own phone."""
    db = get_session()
    user = db.get(User, current_user.id)
    row = db.get(UserSession, g.get("user_session_id") or 0)
    assert user is not None and row is not None
    errors: dict[str, str] = {}
    if request.method == "POST" and request.form.get("action") == "disable":
        return _disable(user)
    if request.method == "POST":
        errors = _confirm_two_step(user, row)
        if not errors:
            flash("Two-step verification is on: log-ins now ask for a code.", "success")
            return redirect(same_site_path(request.args.get("next")) or url_for("account.index"))
    if not user.has_totp and not row.pending_totp_secret:
        row.pending_totp_secret = new_secret()
        db.add(row)
        db.commit()
    secret = row.pending_totp_secret
    uri = provisioning_uri(secret, user.email) if secret and not user.has_totp else None
    return render_template(
        "account/two_step.html", user=user, errors=errors, secret=secret, uri=uri,
        qr=qr_svg_data_uri(uri) if uri else None,
        required=current_app.config["REQUIRE_TOTP_FOR_ADMINS"] and user.role == "admin",
    ), 422 if errors else 200


def _confirm_two_step(user: User, row: UserSession) -> dict[str, str]:
    db = get_session()
    errors: dict[str, str] = {}
    if not check_password_hash(user.password_hash, request.form.get("password", "")[:200]):
        errors["password"] = "That is not your password."
    secret = row.pending_totp_secret
    step = accepted_step(secret, request.form.get("code", "")[:20], utcnow(), None) \
        if secret else None
    if step is None:
        errors["code"] = "That code is not right: type the 6 digits the app shows now."
    if errors:
        return errors
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, utcnow(), step
    row.pending_totp_secret = None
    db.add_all([user, row])
    record_event(db, "totp_enabled", user_id=user.id, address=request.remote_addr)
    db.commit()
    return {}


def _disable(user: User) -> Response:
    db = get_session()
    if current_app.config["REQUIRE_TOTP_FOR_ADMINS"] and user.role == "admin":
        flash("Administrators must keep two-step verification on.", "error")
    elif not check_password_hash(user.password_hash, request.form.get("password", "")[:200]):
        flash("Two-step verification stays on: that is not your password.", "error")
    else:
        user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
        db.add(user)
        record_event(db, "totp_disabled", user_id=user.id, address=request.remote_addr)
        db.commit()
        flash("Two-step verification is off.", "success")
    return redirect(url_for("account.two_step"))


@bp.route("/sessions/end-others", methods=["POST"])
@any_user
def end_others() -> Response:
    db = get_session()
    keep = g.get("user_session_id")
    if keep is None:
        abort(400)
    count = end_all_sessions(db, current_user.id, "ended by the user", keep_id=keep)
    record_event(db, "sessions_ended", user_id=current_user.id, actor_id=current_user.id,
                 detail=f"{count} other session(s)")
    db.commit()
    flash(f"Logged out {count} other session(s).", "success")
    return redirect(url_for("account.index"))
