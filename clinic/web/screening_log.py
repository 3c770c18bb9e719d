"""The screening log screen, and its CSV export."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from clinic.auth.roles import any_user
from clinic.db import get_session
from clinic.enrollment.screening_log import OUTCOMES, screening_log
from clinic.reports.safe_cells import neutralise
from clinic.web.access import all_sites, site_filter, study_or_404
from clinic.web.downloads import attachment
from clinic.web.filters import local_time
from clinic.web.forms import a_date, form_int

bp = Blueprint("screening_log", __name__)


def _query(code: str) -> tuple[Any, dict[str, Any], dict[str, str]]:
    session = get_session()
    study = study_or_404(session, code)
    errors: dict[str, str] = {}
    args = request.args
    filters = {"site_id": site_filter(args.get("site", type=form_int)),
               "outcome": args.get("outcome") if args.get("outcome") in OUTCOMES else None,
               "date_from": a_date(args.get("from"), "from", errors, required=False),
               "date_to": a_date(args.get("to"), "to", errors, required=False)}
    return study, filters, errors


FILTER_NAMES = ("site", "outcome", "from", "to")  # kept by the CSV link


@bp.route("/studies/<code>/screening")
@any_user
def index(code: str) -> Any:
    study, filters, errors = _query(code)
    lines = [] if errors else screening_log(get_session(), study_id=study.id, **filters)
    return render_template("enroll/screening_log.html", study=study, lines=lines,
                           outcomes=OUTCOMES, sites=all_sites(get_session()),
                           fixed_site=current_user.role == "nurse", args=request.args,
                           kept={k: request.args[k] for k in FILTER_NAMES if request.args.get(k)},
                           errors=errors), 422 if errors else 200


@bp.route("/studies/<code>/screening.csv")
@any_user
def export(code: str) -> Response:
    study, filters, errors = _query(code)
    if errors:
        return Response("; ".join(errors.values()), status=422, mimetype="text/plain")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["screening", "screened_at", "site", "screened_by", "outcome",
                     "failing_criteria", "study_code"])
    for line in screening_log(get_session(), study_id=study.id, limit=100_000, **filters):
        writer.writerow([neutralise(v) for v in (
            line.id, local_time(line.screened_at), line.site, line.screened_by,
            OUTCOMES[line.outcome], " | ".join(line.failing), line.study_code or "")])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": attachment(f"{study.code.lower()}_screening_log.csv")})
