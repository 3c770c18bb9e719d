"""The study-wide audit trail screen, and its CSV, XLSX and JSON-lines downloads."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from sqlmodel import select

from clinic.audit.export import FORMATS, MEDIA_TYPES, write_csv, write_json_lines, write_xlsx
from clinic.audit.trail import ENTITIES, AuditFilter, parse_day, reversed_range, trail_rows
from clinic.auth.roles import allow
from clinic.db import get_session
from clinic.exceptions import ValidationError
from clinic.models import User
from clinic.web.access import MANAGES_STUDY, study_or_404
from clinic.web.downloads import attachment
from clinic.web.forms import form_int

bp = Blueprint("audit_trail", __name__)
PAGE = 100
FILTER_NAMES = ("user", "from", "to", "entity", "patient", "reason")


def _study(code: str) -> Any:
    return study_or_404(get_session(), code)


def _filter() -> tuple[AuditFilter, dict[str, str]]:
    args, errors = request.args, {}
    days = {}
    for name in ("from", "to"):
        try:
            days[name] = parse_day(args.get(name), name)
        except ValidationError as error:
            errors |= error.errors
    if reversed_ := reversed_range(days.get("from"), days.get("to")):
        errors["to"] = reversed_
    entity = args.get("entity") or None
    if entity is not None and entity not in ENTITIES:
        errors["entity"] = "Choose a kind of record from the list."
    user_id = args.get("user", type=form_int)
    if args.get("user") and user_id is None:  # a filter that cannot apply is said, not dropped
        errors["user"] = "Choose a user from the list."
    chosen = AuditFilter(user_id=user_id,
                         since=days.get("from"), until=days.get("to"),
                         entity=entity if entity in ENTITIES else None,
                         patient_code=(args.get("patient") or "").strip()[:40] or None,
                         reason=(args.get("reason") or "").strip()[:200] or None)
    return chosen, errors


@bp.route("/studies/<code>/audit")
@allow(*MANAGES_STUDY, "monitor")
def index(code: str) -> Any:
    study = _study(code)
    chosen, errors = _filter()
    zone = current_app.config["TIMEZONE"]
    before = request.args.get("before", type=form_int)
    rows = [] if errors else list(trail_rows(get_session(), study.id, chosen, zone=zone,
                                             before_id=before, limit=PAGE))
    users = get_session().exec(select(User).order_by(User.name)).all()
    query = {k: request.args[k] for k in FILTER_NAMES if request.args.get(k)}
    return render_template("audit/trail.html", study=study, rows=rows, zone=zone, users=users,
                           entities=ENTITIES, args=request.args, errors=errors, query=query,
                           older=rows[-1].event_id if len(rows) == PAGE else None,
                           formats=FORMATS), 422 if errors else 200


@bp.route("/studies/<code>/audit.<fmt>")
@allow(*MANAGES_STUDY, "monitor")
def download(code: str, fmt: str) -> Response:
    if fmt not in FORMATS:
        abort(404)
    study = _study(code)
    chosen, errors = _filter()
    if errors:
        return Response("; ".join(errors.values()), status=422, mimetype="text/plain")
    zone = current_app.config["TIMEZONE"]
    rows = trail_rows(get_session(), study.id, chosen, zone=zone)
    if fmt == "xlsx":
        binary = io.BytesIO()
        write_xlsx(rows, zone, binary, f"Audit trail · {study.code}")
        body: bytes | str = binary.getvalue()
    else:
        text = io.StringIO()
        if fmt == "csv":
            write_csv(rows, zone, text)
        else:
            write_json_lines(rows, text)
        body = text.getvalue()
    name = f"{study.code.lower()}_audit_trail.{'jsonl' if fmt == 'json' else fmt}"
    return Response(body, mimetype=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": attachment(name)})
