"""/reminders: the delivery log, failures first, for coordinators, admins and nurses."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from clinic.auth.roles import allow
from clinic.db import get_session
from clinic.reminders.queries import (
    delivery_log,
    needing_attention,
    requeue_failed,
    told_an_old_date,
)

bp = Blueprint("reminders", __name__, url_prefix="/reminders")


def _site_scope() -> int | None:
    """Nurses see their own site's reminders; coordinators and admins see all."""
    return current_user.site_id if current_user.role == "nurse" else None


@bp.route("/")
@allow("coordinator", "admin", "nurse")
def log() -> str:
    session = get_session()
    scope = _site_scope()
    return render_template("reminders/log.html",
                           attention=needing_attention(session, site_id=scope),
                           old_dates=told_an_old_date(session, site_id=scope),
                           lines=delivery_log(session, site_id=scope),
                           can_requeue=current_user.role in {"coordinator", "admin"})


@bp.route("/<kind>/<int:row_id>/send-again", methods=["POST"])
@allow("coordinator", "admin")
def send_again(kind: str, row_id: int) -> Response:
    if kind not in {"reminder", "digest"}:
        abort(404)
    session = get_session()
    if requeue_failed(session, kind, row_id):
        session.commit()
        flash(f"The {kind} will be sent again on the next delivery run.", "info")
    else:
        flash(f"Only a failed {kind} can be sent again.", "error")
    return redirect(url_for("reminders.log"))
