"""Administration: users and their roles, sites."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select
from werkzeug.wrappers import Response

from clinic.auth.roles import allow
from clinic.auth.service import create_site, create_user, set_user_active
from clinic.catalog import ROLES
from clinic.db import get_session
from clinic.exceptions import ValidationError
from clinic.models import Site, User
from clinic.web.access import MANAGES_STUDY, all_sites
from clinic.web.forms import blank_to_none

bp = Blueprint("admin", __name__, url_prefix="/admin")


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
                               site_code=blank_to_none(form.get("site")))
            if user.role == "nurse" and user.site_id is None:
                raise ValidationError({"site": "A nurse works at one site: choose it."})
            session.commit()
            flash(f"Created {ROLES[user.role].lower()} {user.email}.", "success")
            return redirect(url_for("admin.users"))
        except ValidationError as error:
            session.rollback()
            errors = error.errors
    listed = session.exec(select(User).order_by(User.is_active.desc(), User.email)).all()  # type: ignore[attr-defined]
    sites = {s.id: s.code for s in all_sites(session)}
    return render_template("admin/users.html", users=listed, sites=sites, roles=ROLES,
                           errors=errors, values=request.form), 422 if errors else 200


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@allow(*MANAGES_STUDY)
def set_active(user_id: int) -> Response:
    session = get_session()
    user = session.get(User, user_id) or abort(404)
    is_active = request.form.get("is_active") == "yes"
    try:
        set_user_active(session, user=user, is_active=is_active, actor_id=current_user.id)
        session.commit()
        flash(f"{user.email} {'reactivated' if is_active else 'deactivated'}.", "success")
    except ValidationError as error:
        session.rollback()
        flash("; ".join(error.errors.values()), "error")
    return redirect(url_for("admin.users"))


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
