"""Administration: users (roles, sites, studies monitored, locks, resets, sessions) and
sites.

Who may manage whom follows ``catalog.ROLES_GRANTABLE_BY`` (see clinic.auth.service):
a coordinator manages nurses, physicians and coordinators; only an administrator
manages administrators.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import col, select
from werkzeug.wrappers import Response

from clinic.auth.events import record_event
from clinic.auth.resets import cancel_resets, issue_reset
from clinic.auth.roles import allow
from clinic.auth.service import (
    can_manage,
    create_site,
    create_user,
    edit_user,
    monitored_studies,
    set_user_active,
    unlock_user,
)
from clinic.auth.sessions import end_all_sessions, open_sessions
from clinic.auth.tokens import revoke_all_tokens, revoke_token, tokens_of
from clinic.catalog import ROLES, ROLES_GRANTABLE_BY, SECURITY_EVENTS
from clinic.db import get_session
from clinic.exceptions import BrokenVersion, ConflictError, NotFound, ValidationError
from clinic.models import SecurityEvent, Site, Study, User
from clinic.models.base import utcnow
from clinic.web.access import MANAGES_STUDY, all_sites
from clinic.web.forms import blank_to_none, form_int

bp = Blueprint("admin", __name__, url_prefix="/admin")
EVENTS_SHOWN = 50


def _actor() -> User:
    user = get_session().get(User, current_user.id)
    assert user is not None
    return user


def _grantable() -> dict[str, str]:
    allowed = ROLES_GRANTABLE_BY.get(current_user.role, frozenset())
    return {code: label for code, label in ROLES.items() if code in allowed}


@bp.route("")
@allow(*MANAGES_STUDY)
def index() -> Any:
    """/admin, typed by hand: the administration's first tab (it was a bare 404)."""
    return redirect(url_for("admin.users"))


@bp.route("/users", methods=["GET", "POST"])
@allow(*MANAGES_STUDY)
def users() -> Any:
    session = get_session()
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            user = create_user(session, email=form.get("email", ""), name=form.get("name", ""),
                               role=form.get("role", ""), password=form.get("password", ""),
                               site_code=blank_to_none(form.get("site")), actor=_actor(),
                               must_change_password=True)
            session.commit()
            flash(f"Created {ROLES[user.role].lower()} {user.email}. They choose their own "
                  "password at the first log-in.", "success")
            if user.role == "monitor":
                flash("A monitor sees no study until given one: choose the studies below.",
                      "info")
                return redirect(url_for("admin.user", user_id=user.id))
            return redirect(url_for("admin.users"))
        except ValidationError as error:
            session.rollback()
            errors = error.errors
    listed = session.exec(select(User).order_by(User.is_active.desc(), User.email)).all()  # type: ignore[attr-defined]
    sites = {s.id: s.code for s in all_sites(session)}
    return render_template("admin/users.html", users=listed, sites=sites, roles=ROLES,
                           grantable=_grantable(), errors=errors, values=request.form,
                           now=utcnow()), 422 if errors else 200


def _managed_user(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _may_manage(user: User) -> bool:
    return can_manage(current_user.role, user.role)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow(*MANAGES_STUDY)
def user(user_id: int) -> Any:
    session = get_session()
    target = _managed_user(user_id)
    errors: dict[str, str] = {}
    values: Any = {"name": target.name, "role": target.role,
                   "site": next((s.code for s in all_sites(session) if s.id == target.site_id),
                                ""),
                   "studies": sorted(monitored_studies(session, user_id).values())}
    if request.method == "POST":
        form = request.form
        values = {**form, "studies": _ticked(form, "studies.")}
        try:
            changed = edit_user(session, actor=_actor(), user=target, name=form.get("name", ""),
                                role=form.get("role", ""),
                                site_code=blank_to_none(form.get("site")),
                                study_codes=values["studies"]
                                if form.get("studies_shown") else None,
                                read_version=form_int(form["version"])
                                if "version" in form else None)
            session.commit()
            flash(f"{target.email}: changed {', '.join(changed)}.", "success")
            return redirect(url_for("admin.user", user_id=user_id))
        except ValidationError as error:
            session.rollback()
            errors = error.errors
        except BrokenVersion as error:
            session.rollback()
            abort(422, str(error))
        except ConflictError:
            session.rollback()
            session.refresh(target)
            flash(f"Not saved: {target.email} was changed by someone else since this page "
                  "was opened (another tab?). The form now shows the login as it is: make "
                  "your change again.", "error")
            return redirect(url_for("admin.user", user_id=user_id), code=303)
    return _user_page(target, values=values, errors=errors), 422 if errors else 200


def _ticked(form: Any, prefix: str) -> list[str]:
    """The codes of the ticked checkboxes named ``prefix`` + code (one field each: a form
    that repeats a field is refused, see clinic.web.guards)."""
    return [key.removeprefix(prefix) for key, value in form.items()
            if key.startswith(prefix) and value]


def _user_page(target: User, *, values: Any, errors: dict[str, str],
               reset_link: str | None = None, reset_hours: float = 0) -> str:
    """A user's page. Sessions, addresses, security events and tokens are shown only to
    those who may manage the user (a coordinator sees none of an administrator's)."""
    session = get_session()
    may_manage = _may_manage(target)
    events = session.exec(select(SecurityEvent).where(SecurityEvent.user_id == target.id)
                          .order_by(col(SecurityEvent.at).desc()).limit(EVENTS_SHOWN)).all() \
        if may_manage else []
    return render_template(
        "admin/user.html", target=target, values=values, errors=errors, roles=ROLES,
        grantable=_grantable() if may_manage else {}, may_manage=may_manage,
        site_choices=[(s.code, s.code) for s in all_sites(session)], events=events,
        studies=session.exec(select(Study).order_by(Study.code)).all(),
        event_labels=SECURITY_EVENTS,
        sessions=open_sessions(session, target.id) if may_manage else [],  # type: ignore[arg-type]
        tokens=tokens_of(session, target) if may_manage else [], now=utcnow(),
        reset_link=reset_link, reset_hours=reset_hours)


def _manage(user_id: int, action: Any, done: str) -> Response:
    """Run ``action(session, target)`` for a user the current user may manage."""
    session = get_session()
    target = _managed_user(user_id)
    if not _may_manage(target):
        abort(403, "Only an administrator can manage an administrator's login.")
    try:
        action(session, target)
        session.commit()
        flash(f"{target.email}: {done}.", "success")
    except ValidationError as error:
        session.rollback()
        flash("; ".join(error.errors.values()), "error")
    except NotFound:
        session.rollback()
        abort(404)
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@allow(*MANAGES_STUDY)
def set_active(user_id: int) -> Response:
    is_active = request.form.get("is_active") == "yes"
    return _manage(user_id, lambda s, u: set_user_active(s, user=u, is_active=is_active,
                                                         actor=_actor()),
                   "reactivated" if is_active else "deactivated; their sessions ended")


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@allow(*MANAGES_STUDY)
def unlock(user_id: int) -> Response:
    return _manage(user_id, lambda s, u: unlock_user(s, user=u, actor=_actor()), "unlocked")


@bp.route("/users/<int:user_id>/sessions/end", methods=["POST"])
@allow(*MANAGES_STUDY)
def end_sessions(user_id: int) -> Response:
    def end(session: Any, target: User) -> None:
        count = end_all_sessions(session, target.id, "ended by " + current_user.email)  # type: ignore[arg-type]
        record_event(session, "sessions_ended", user_id=target.id, actor_id=current_user.id,
                     detail=f"{count} session(s)")
        revoke_all_tokens(session, user_id=target.id, actor_id=current_user.id,  # type: ignore[arg-type]
                          why="ended by " + current_user.email)
        cancel_resets(session, target.id)  # type: ignore[arg-type]

    return _manage(user_id, end, "every session ended, API tokens and reset links revoked")


@bp.route("/users/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@allow(*MANAGES_STUDY)
def revoke_user_token(user_id: int, token_id: int) -> Response:
    return _manage(user_id, lambda s, u: revoke_token(s, user=u, token_id=token_id,
                                                      actor_id=current_user.id),
                   "API token revoked")


@bp.route("/users/<int:user_id>/two-step/reset", methods=["POST"])
@allow(*MANAGES_STUDY)
def reset_two_step(user_id: int) -> Response:
    def reset(session: Any, target: User) -> None:
        target.totp_secret = target.totp_enabled_at = target.totp_last_step = None
        session.add(target)
        record_event(session, "totp_disabled", user_id=target.id, actor_id=current_user.id,
                     detail="reset by an administrator")

    return _manage(user_id, reset, "two-step verification turned off (they set it up again)")


@bp.route("/users/<int:user_id>/reset-link", methods=["POST"])
@allow(*MANAGES_STUDY)
def reset_link(user_id: int) -> Any:
    session = get_session()
    target = _managed_user(user_id)
    if not _may_manage(target):
        abort(403, "Only an administrator can manage an administrator's login.")
    if not target.is_active:
        flash(f"{target.email} is deactivated: reactivate the login first.", "error")
        return redirect(url_for("admin.user", user_id=user_id))
    hours = float(current_app.config["PASSWORD_RESET_HOURS"])
    token = issue_reset(session, user=target, actor_id=current_user.id, hours=hours)
    record_event(session, "password_reset_issued", user_id=target.id, actor_id=current_user.id,
                 detail=f"valid {hours:g} h")
    session.commit()
    link = url_for("account.reset", token=token, _external=True)
    return _user_page(target, values={"name": target.name, "role": target.role}, errors={},
                      reset_link=link, reset_hours=hours)


@bp.route("/sites", methods=["GET", "POST"])
@allow(*MANAGES_STUDY)
def sites() -> Any:
    session = get_session()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            site = create_site(session, code=request.form.get("code", ""),
                               name=request.form.get("name", ""))
            session.commit()
            flash(f"Created site {site.code}.", "success")
            return redirect(url_for("admin.sites"))
        except ValidationError as error:
            session.rollback()
            errors = error.errors
    listed = session.exec(select(Site).order_by(Site.code)).all()
    return render_template("admin/sites.html", sites=listed, errors=errors,
                           values=request.form), 422 if errors else 200
