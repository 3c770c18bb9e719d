"""The study status grid: patients × timepoints, coloured by derived status."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template, request
from flask_login import current_user
from sqlmodel import select

from clinic.auth.roles import any_user
from clinic.db import get_session
from clinic.exceptions import ValidationError
from clinic.models import Study
from clinic.scheduling.grid import status_grid
from clinic.scheduling.windows import VisitStatus
from clinic.studies.setup import arms, studies_with_patients
from clinic.web.access import ENTERS_FOLLOW_UPS, all_sites, own_site_id, site_filter, unknown_study
from clinic.web.filters import clinic_today
from clinic.web.forms import form_int

bp = Blueprint("grid", __name__)


@bp.route("/grid")
@any_user
def index() -> str:
    session = get_session()
    studies = studies_with_patients(session)
    if not studies:
        abort(404, "No active study yet (drafts have no patients).")
    given = (request.args.get("study") or "").strip()
    study = _chosen(session, given) if given else studies[0]
    if study.status == "planning":
        abort(404, f"{study.code} is a draft: it has no patients yet.")
    site = request.args.get("site", type=form_int)
    study_arms = arms(session, study.id)  # type: ignore[arg-type]
    arm = request.args.get("arm", type=form_int)
    if arm is not None and arm not in {a.id for a in study_arms}:
        flash(f"That arm is not one of {study.code}'s: showing all its arms.", "info")
        arm = None  # an arm kept from the study chosen before (it showed nobody)
    cursor = request.args.get("cursor") or None
    try:
        grid = status_grid(session, study_id=study.id, today=clinic_today(),  # type: ignore[arg-type]
                           site_id=site_filter(site), arm_id=arm, cursor=cursor)
    except ValidationError as error:  # a page link that does not decode
        flash(error.errors["cursor"], "error")
        cursor = None
        grid = status_grid(session, study_id=study.id, today=clinic_today(),  # type: ignore[arg-type]
                           site_id=site_filter(site), arm_id=arm)
    return render_template("grid/index.html", grid=grid, study=study, studies=studies,
                           sites=all_sites(session), arms=study_arms,
                           site=site, arm=arm, fixed_site=own_site_id(),
                           statuses=list(VisitStatus), page=grid, first_page=cursor is None,
                           query={"study": study.id, "site": site, "arm": arm},
                           can_enter=current_user.role in ENTERS_FOLLOW_UPS)


def _chosen(session: Any, given: str) -> Study:
    """The study asked for by id (the filter form) or by code (a link someone typed);
    one that does not exist is a 404 that names it, not another study's grid."""
    number = form_int(given)
    found = session.get(Study, number) if number is not None else session.exec(
        select(Study).where(Study.code == given.upper()[:20])).first()
    if found is None:
        abort(404, unknown_study(given))
    return found
