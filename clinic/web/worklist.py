"""The nurse's worklist: who is due today, overdue, or coming up."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from clinic.auth.roles import allow
from clinic.db import get_session
from clinic.followup.worklist import SORT_KEYS, worklist
from clinic.web.access import ENTERS_FOLLOW_UPS, all_sites, own_site_id, sees_identity, site_filter
from clinic.web.filters import clinic_today
from clinic.web.forms import form_int

bp = Blueprint("worklist", __name__)
SORTS = ("status", *SORT_KEYS)


@bp.route("/worklist")
@allow(*ENTERS_FOLLOW_UPS)
def index() -> str:
    session = get_session()
    requested = request.args.get("site", type=form_int)
    sort = request.args.get("sort", "status")
    sort = sort if sort in SORTS else "status"
    descending = request.args.get("dir") == "desc"
    rows = worklist(session, today=clinic_today(), site_id=site_filter(requested),
                    sort=sort, descending=descending, with_identity=sees_identity())
    return render_template("worklist/index.html", rows=rows, sites=all_sites(session),
                           site=requested, fixed_site=own_site_id(), sort=sort,
                           descending=descending, show_contact=sees_identity())
