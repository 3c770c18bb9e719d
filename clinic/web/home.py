"""The first screen after login: the studies and their enrollment and follow-up counts."""

from __future__ import annotations

from flask import Blueprint, render_template

from clinic.auth.roles import any_user
from clinic.db import get_session
from clinic.studies.summary import study_summaries
from clinic.web.filters import clinic_today

bp = Blueprint("web", __name__)


@bp.route("/")
@any_user
def home() -> str:
    summaries = study_summaries(get_session(), clinic_today())
    return render_template("home.html", summaries=summaries)
