"""The first screen after login: the studies and their enrollment and follow-up counts
(a nurse's: those of her site)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from clinic.auth.roles import any_user
from clinic.db import get_session
from clinic.models import Site
from clinic.studies.summary import study_summaries
from clinic.web.access import MANAGES_STUDY, own_site_id
from clinic.web.filters import clinic_today

bp = Blueprint("web", __name__)


@bp.route("/")
@any_user
def home() -> str:
    session = get_session()
    site_id = own_site_id()
    summaries = study_summaries(session, clinic_today(), site_id=site_id,
                                drafts=current_user.role in MANAGES_STUDY)
    site = session.get(Site, site_id) if site_id is not None else None
    return render_template("home.html", summaries=summaries, site=site)
