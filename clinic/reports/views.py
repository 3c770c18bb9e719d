"""Web pages of the study report: the report with its filter form, and its downloads.

The downloads call the same ``build_report`` + ``clinic.reports.render`` as the CLI.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlmodel import func, select

from clinic import catalog
from clinic.auth.roles import allow
from clinic.db import get_session
from clinic.exceptions import NotFound, ValidationError
from clinic.models import Enrollment, Site, Study
from clinic.reports import jobs
from clinic.reports.filters import ReportFilters, filters_from_mapping
from clinic.reports.render import FORMATS
from clinic.reports.study_filters import study_filters
from clinic.studies.setup import find_study, studies_with_patients
from clinic.web.access import study_or_404, unknown_study
from clinic.web.downloads import attachment
from clinic.web.filters import clinic_today
from clinic.web.urls import with_query

bp = Blueprint("reports", __name__)
READERS = ("physician", "coordinator", "admin")
MULTI = ("sites", "procedure_types", "levels", "arms")
FILTER_NAMES = frozenset({"as_of", "date_from", "date_to", *MULTI})


def _filters(study: str) -> ReportFilters:
    """The report's filters as asked, the arms and sites held to the study's (an unknown
    code is a ValidationError naming it)."""
    values: dict[str, object] = {k: request.args.get(k) for k in ("as_of", "date_from",
                                                                   "date_to")}
    values.update({k: request.args.getlist(k) for k in MULTI})
    filters = filters_from_mapping(values, clinic_today())
    session = get_session()
    return study_filters(session, find_study(session, study), filters)


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
    if study is None and request.args.get("study", "").strip():  # /reports?study=DEMO
        chosen = study_or_404(session, request.args["study"].strip())
        kept = {k: v for k, v in request.args.to_dict(flat=False).items() if k != "study"}
        return redirect(with_query(url_for("reports.index", study=chosen.code), kept))
    if study is None:
        return render_template("reports/index.html", studies=studies_with_patients(session))
    _not_a_draft(study)
    try:
        filters = _filters(study)
    except ValidationError as error:
        return render_template("reports/report.html", report=None, errors=error.errors,
                               study_code=study, form=_form_options(session, study),
                               formats=FORMATS, query=""), 422
    query = urlencode(filters.as_query())
    context = {"errors": {}, "study_code": study, "form": _form_options(session, study),
               "formats": FORMATS, "query": query, "chosen": filters,
               "ignored": sorted(set(request.args) - FILTER_NAMES)}
    patients = _patients_in(session, study)
    if patients > current_app.config["REPORT_INLINE_MAX_PATIENTS"]:
        return render_template("reports/report.html", report=None, background=patients,
                               **context)
    from clinic.reports.render.html import body_context

    return render_template("reports/report.html", **context,
                           **body_context(_report(study, filters)))


def _not_a_draft(study: str) -> None:
    """A study that does not exist, or a draft (no patients, so no report): opened by
    URL, the 404 says which. A code typed in another case (/studies/demo/report) goes to
    the study's own address."""
    status = get_session().exec(select(Study.status).where(Study.code == study)).first()
    if status is None and request.method == "GET":
        found = study_or_404(get_session(), study)
        abort(redirect(with_query(url_for(request.endpoint or "reports.index",  # type: ignore[arg-type]
                                          **{**(request.view_args or {}), "study": found.code}),
                                  request.args.to_dict(flat=False))))
    if status is None:
        abort(404, unknown_study(study))
    if status == "planning":
        abort(404, f"{study} is a draft: it has no patients and no report until it is "
                   "activated.")


def _patients_in(session: Any, study: str) -> int:
    return int(session.exec(select(func.count(Enrollment.id)).join(
        Study, Study.id == Enrollment.study_id).where(Study.code == study)).one())


def _form_options(session: Any, study: str) -> dict[str, Any]:
    row = session.exec(select(Study).where(Study.code == study)).first()
    if row is None:
        abort(404)
    from clinic.studies.setup import arms

    return {"sites": [s.code for s in session.exec(select(Site).order_by(Site.code))],
            "arms": [(a.code, a.label) for a in arms(session, row.id)],
            "procedure_types": list(catalog.PROCEDURE_TYPES.items()),
            "levels": list(catalog.LEVELS.items())}


def _download_filters(study: str, fmt: str) -> ReportFilters:
    """The filters of a file asked for in ``fmt``: 404 for an unknown format, 422 for
    filters that do not hold (the error page names them)."""
    if fmt not in FORMATS:
        abort(404)
    try:
        return _filters(study)
    except ValidationError as error:
        abort(422, "The report was not built: " + " ".join(error.errors.values())[:2000])


@allow(*READERS)
def download_view(study: str, fmt: str) -> Any:
    _not_a_draft(study)
    filters = _download_filters(study, fmt)
    from clinic.reports.render import download

    name, content, media_type = download(_report(study, filters), fmt)
    return Response(content, mimetype=media_type.split(";")[0], headers={
        "Content-Disposition": attachment(name), "Cache-Control": "no-store"})


bp.add_url_rule("/studies/<study>/report/download/<fmt>", "download", download_view)
for _fmt in FORMATS:
    bp.add_url_rule(f"/studies/<study>/report.{_fmt}", f"download_{_fmt}", download_view,
                    defaults={"fmt": _fmt})


def _jobs_dir() -> Any:
    return jobs.jobs_dir(current_app.config, current_app.instance_path)


@bp.post("/studies/<study>/report/jobs")
@allow(*READERS)
def start_job(study: str) -> Any:
    """Build the report in the background (large studies); the browser follows its
    progress on the job's page."""
    fmt = request.form.get("fmt", "")
    _not_a_draft(study)
    filters = _download_filters(study, fmt)
    folder = _jobs_dir()
    job = jobs.new_job(folder, user_id=current_user.id, study=study, fmt=fmt,
                       filters=filters)
    jobs.start(current_app._get_current_object(), folder, job,  # type: ignore[attr-defined]
               filters)
    return redirect(url_for("reports.job_page", token=job.token), code=303)


def _own_job(token: str) -> jobs.Job:
    job = jobs.load(_jobs_dir(), token, current_user.id)
    if job is None:
        abort(404)
    return job


@bp.get("/reports/jobs/<token>")
@allow(*READERS)
def job_page(token: str) -> Any:
    job = _own_job(token)
    return render_template("reports/job.html", job=job), 200, {"Cache-Control": "no-store"}


@bp.get("/reports/jobs/<token>/file")
@allow(*READERS)
def job_file(token: str) -> Any:
    job = _own_job(token)
    path = jobs.output_path(_jobs_dir(), job)
    if job.state != "done" or not path.exists():
        abort(404)
    response = send_file(path, mimetype=(job.media_type or "").split(";")[0],
                         as_attachment=False, max_age=0)
    response.headers["Content-Disposition"] = attachment(job.file_name or "report")
    response.headers["Cache-Control"] = "no-store"
    return response
