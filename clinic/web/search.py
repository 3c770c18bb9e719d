"""Find a patient from the header of every page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from clinic.auth.roles import any_user
from clinic.db import get_session
from clinic.patients.search import search_patients, too_short
from clinic.web.access import own_site_id, sees_identity
from clinic.web.filters import clinic_today

bp = Blueprint("search", __name__)


@bp.route("/search")
@any_user
def index() -> str:
    query = (request.args.get("q") or "").strip()[:100]
    hits = search_patients(get_session(), query, sees_identity=sees_identity(),
                           site_id=own_site_id(), today=clinic_today()) if query else []
    return render_template("search/index.html", query=query, hits=hits,
                           too_short=bool(query) and too_short(query),
                           identity=sees_identity())
