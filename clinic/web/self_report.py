"""Staff view of self-report: the completion dashboard of a study, per site and visit."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from clinic.auth.roles import any_user
from clinic.db import get_session
from clinic.models import Site
from clinic.selfreport.ladder import CALL_LEAD_DAYS, LadderSpec, step_label
from clinic.selfreport.status import COLUMN_LABELS, COLUMNS, channel_counts, dashboard, totals
from clinic.web.access import all_sites, site_filter, study_or_404
from clinic.web.filters import clinic_today
from clinic.web.forms import form_int

bp = Blueprint("self_report", __name__)


@bp.route("/studies/<code>/self-report")
@any_user
def index(code: str) -> str:
    session = get_session()
    study = study_or_404(session, code)
    site_id = site_filter(form_int(request.args.get("site")))
    today = clinic_today()
    rows = dashboard(session, study.id, today, site_id)  # type: ignore[arg-type]
    site = session.get(Site, site_id) if site_id else None
    return render_template("self_report/index.html", study=study, rows=rows,
                           total=totals(rows), columns=COLUMNS, labels=COLUMN_LABELS,
                           spec=LadderSpec.from_json(study.self_report), step_label=step_label,
                           call_lead_days=CALL_LEAD_DAYS,
                           messages=channel_counts(session, study.id, site_id),  # type: ignore[arg-type]
                           sites=all_sites(session), site=site, today=today)
