"""Web pages of the study report: the report with its filter form, and its downloads.

The downloads call the same ``build_report`` + ``clinic.reports.render`` as the CLI.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, render_template, request
from sqlmodel import select

from clinic import catalog
from clinic.auth.roles import allow
from clinic.db import get_session
from clinic.exceptions import NotFound, ValidationError
from clinic.models import Site, Study
from clinic.reports.filters import ReportFilters, filters_from_mapping
from clinic.reports.render import FORMATS
from clinic.web.downloads import attachment
from clinic.web.filters import clinic_today

bp = Blueprint("reports", __name__)
READERS = ("physician", "coordinator", "admin")
MULTI = ("sites", "procedure_types", "levels", "arms")


def _filters() -> ReportFilters:
    values: dict[str, object] = {k: request.args.get(k) for k in ("as_of", "date_from",
                                                                   "date_to")}
    values.update({k: request.args.getlist(k) for k in MULTI})
    return filters_from_mapping(values, clinic_today())


def _report(study: str, filters: ReportFilters) -> Any:
    """The report (pandas, SciPy and ReportLab load here, on first use, or at worker start
    by ``clinic.warm_up``: the app and its CLI start without them)."""
    from clinic.reports.builder import build_report

    try:
        return build_report(get_session(), study, filters,
                            timezone=current_app.config["TIMEZONE"])
    except NotFound:
        abort(404)


@bp.route("/reports", defaults={"study": None})
@bp.route("/studies/<study>/report")
@allow(*READERS)
def index(study: str | None) -> Any:
    session = get_session()
    if study is None:
        studies = session.exec(select(Study).order_by(Study.code)).all()
        return render_template("reports/index.html", studies=studies)
    try:
        filters = _filters()
    except ValidationError as error:
        return render_template("reports/report.html", report=None, errors=error.errors,
                               study_code=study, form=_form_options(session, study),
                               formats=FORMATS, query=""), 422
    from clinic.reports.render.html import body_context

    report = _report(study, filters)
    query = urlencode(filters.as_query())
    return render_template("reports/report.html", errors={}, study_code=study,
                           form=_form_options(session, study), formats=FORMATS, query=query,
                           chosen=filters, **body_context(report))


def _form_options(session: Any, study: str) -> dict[str, Any]:
    row = session.exec(select(Study).where(Study.code == study)).first()
    if row is None:
        abort(404)
    from clinic.studies.setup import arms

    return {"sites": [s.code for s in session.exec(select(Site).order_by(Site.code))],
            "arms": [(a.code, a.label) for a in arms(session, row.id)],
            "procedure_types": list(catalog.PROCEDURE_TYPES.items()),
            "levels": list(catalog.LEVELS.items())}


@allow(*READERS)
def download_view(study: str, fmt: str) -> Any:
    if fmt not in FORMATS:
        abort(404)
    try:
        filters = _filters()
    except ValidationError as error:
        return Response(str(error)[:2000], status=422, mimetype="text/plain")
    from clinic.reports.render import download

    name, content, media_type = download(_report(study, filters), fmt)
    return Response(content, mimetype=media_type.split(";")[0], headers={
        "Content-Disposition": attachment(name), "Cache-Control": "no-store"})


bp.add_url_rule("/studies/<study>/report/download/<fmt>", "download", download_view)
for _fmt in FORMATS:
    bp.add_url_rule(f"/studies/<study>/report.{_fmt}", f"download_{_fmt}", download_view,
                    defaults={"fmt": _fmt})
