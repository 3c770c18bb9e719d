"""Each user's own API tokens: create (shown once) and revoke."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from clinic.auth.roles import any_user
from clinic.auth.tokens import create_token, revoke_token, tokens_of
from clinic.db import get_session
from clinic.exceptions import NotFound, ValidationError
from clinic.models.base import utcnow
from clinic.web.forms import strict_int

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


@bp.route("", methods=["GET", "POST"])
@any_user
def index() -> Any:
    session = get_session()
    errors: dict[str, str] = {}
    new_token = None
    if request.method == "POST":
        try:
            config = current_app.config
            days = strict_int(request.form.get("days"), "days", errors)
            if errors:
                raise ValidationError(errors)
            _row, new_token = create_token(
                session, user=current_user, name=request.form.get("name", ""), days=days,
                max_days=int(config["API_TOKEN_MAX_DAYS"]),
                default_days=int(config["API_TOKEN_DAYS"]))
            session.commit()
        except ValidationError as error:
            session.rollback()
            errors = error.errors
    return render_template("admin/tokens.html", tokens=tokens_of(session, current_user),
                           new_token=new_token, errors=errors,
                           default_days=current_app.config["API_TOKEN_DAYS"], now=utcnow(),
                           max_days=current_app.config["API_TOKEN_MAX_DAYS"]), \
        422 if errors else 200


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@any_user
def revoke(token_id: int) -> Response:
    session = get_session()
    try:
        revoke_token(session, user=current_user, token_id=token_id)
    except NotFound:
        abort(404)
    session.commit()
    flash("Token revoked.", "success")
    return redirect(url_for("tokens.index"))
