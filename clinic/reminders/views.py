"""/reminders: the delivery log, failures first, for coordinators, admins and nurses.

Every row that did not go out is listed with what to check (clinic.reminders.advice).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from clinic.auth.roles import allow
from clinic.db import get_session
from clinic.reminders.queries import (
    KIND_WORDS,
    KINDS,
    delivery_log,
    needing_attention,
    requeue,
    told_an_old_date,
)
from clinic.reminders.settings import reminder_settings

bp = Blueprint("reminders", __name__, url_prefix="/reminders")


def _site_scope() -> int | None:
    """Nurses see their own site's reminders; coordinators and admins see all."""
    return current_user.site_id if current_user.role == "nurse" else None


@bp.route("/")
@allow("coordinator", "admin", "nurse")
def log() -> str:
    session = get_session()
    scope = _site_scope()
    domain = reminder_settings(current_app.config).smtp.domain
    patient = " ".join(request.args.get("patient", "").split())[:40]
    return render_template("reminders/log.html", kind_words=KIND_WORDS, patient=patient,
                           attention=needing_attention(session, site_id=scope, domain=domain),
                           old_dates=told_an_old_date(session, site_id=scope),
                           lines=delivery_log(session, site_id=scope,
                                              patient_code=patient or None),
                           can_requeue=current_user.role in {"coordinator", "admin"})


@bp.route("/<kind>/<int:row_id>/send-again", methods=["POST"])
@allow("coordinator", "admin")
def send_again(kind: str, row_id: int) -> Response:
    if kind not in KINDS:
        abort(404)
    session = get_session()
    checked = request.form.get("checked") == "not-received"
    word = KIND_WORDS[kind]
    if requeue(session, kind, row_id, checked_not_received=checked):
        session.commit()
        flash(f"The {word} will be sent again on the next delivery run"
              + (" while its visit is still open to answer." if kind == "self_report" else "."),
              "info")
    else:
        flash(f"Only a failed {word} can be sent again, or one whose outcome is unknown "
              "once the mail server's log shows it was not received.", "error")
    return redirect(url_for("reminders.log"))
