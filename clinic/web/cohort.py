"""The physician's cohort view: filters, outcome over time by arm, key comparisons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, current_app, render_template, request, url_for
from sqlmodel import Session

from clinic import catalog
from clinic.audit.trail import reversed_range
from clinic.auth.roles import allow
from clinic.cohort.cache import AnalysisCache, in_thread
from clinic.cohort.filters import CohortFilters
from clinic.db import get_engine, get_session
from clinic.models import Study, StudyArm
from clinic.scoring.instruments import INSTRUMENTS, InstrumentKind
from clinic.studies.setup import arms, measures, studies_with_patients, timepoints
from clinic.web.access import REVIEWS_COHORT, all_sites, unknown_study
from clinic.web.charts import Series, fitted_chart
from clinic.web.forms import a_date, blank_to_none

if TYPE_CHECKING:
    from clinic.cohort.analysis import CohortSummary

bp = Blueprint("cohort", __name__)


def analyses() -> AnalysisCache:
    """This app's cache of cohort analyses, one per worker process (clinic.cohort.cache
    says why)."""
    return current_app.extensions.setdefault("clinic.cohort_analyses", AnalysisCache())
CHARTABLE = (InstrumentKind.SCALE, InstrumentKind.SECTIONS)
REPORT_FORMATS = (("pdf", "Study report (PDF)"), ("xlsx", "Tables (Excel)"),
                  ("csv", "Analysis dataset (CSV, zipped)"), ("sav", "SPSS (.sav)"))
TEST_NAMES = {"student_t": "Student's t-test", "mann_whitney": "Mann–Whitney U test",
              "kruskal_wallis": "Kruskal–Wallis H test"}  # (spelt as the report spells them)


@bp.route("/cohort")
@allow(*REVIEWS_COHORT)
def index() -> Any:
    from clinic.cohort.analysis import summarize  # pandas and SciPy: on first use
    from clinic.cohort.query import cohort_scores, data_stamp
    from clinic.stats.format import format_median_iqr, format_p, format_statistic

    session = get_session()
    errors: dict[str, str] = {}
    studies = studies_with_patients(session)
    study = _chosen_study(studies, errors)
    outcomes = [m.instrument for m in measures(session, study.id)  # type: ignore[arg-type]
                if INSTRUMENTS[m.instrument].kind in CHARTABLE]
    filters = _filters(study.id, outcomes, errors)  # type: ignore[arg-type]
    order = timepoints(session, study.id)  # type: ignore[arg-type]
    study_arms = arms(session, study.id)  # type: ignore[arg-type]
    arm_labels = [a.label for a in study_arms]
    timezone, codes = current_app.config["TIMEZONE"], [t.code for t in order]
    engine = get_engine()

    def compute() -> CohortSummary:  # its own session: it may run in a background thread
        with Session(engine) as own:
            return summarize(cohort_scores(own, filters, timezone), arm_labels, codes)

    key = (filters, tuple(arm_labels), tuple(codes))
    analysis = analyses().get(key, data_stamp(session), compute, background=in_thread)
    summary = analysis.value
    labels = {t.code: t.label for t in order}
    return render_template(
        "cohort/index.html", study=study, studies=studies, f=filters, errors=errors,
        outcomes=outcomes, instruments=INSTRUMENTS, sites=all_sites(session), s=summary,
        labels=labels, chart=_chart(summary, labels, filters.instrument,
                                    group="group" if study.design_type == "registry" else "arm"),
        group="group" if study.design_type == "registry" else "arm",
        fmt_miqr=format_median_iqr,
        fmt_p=format_p, fmt_stat=format_statistic, test_names=TEST_NAMES,
        downloads=report_downloads(study.code, filters, study_arms), catalog=catalog,
        analysis=analysis,
    ), 422 if errors else 200


def _chosen_study(studies: list[Study], errors: dict[str, str]) -> Study:
    """The study named by ``?study=`` (its id, as on the status grid, or its code, as in
    a link someone typed), else the first."""
    if not studies:
        abort(404, "No study yet.")
    wanted = blank_to_none(request.args.get("study"))
    if wanted is None:
        return studies[0]
    chosen = next((s for s in studies if wanted in (str(s.id), s.code, s.code.lower())), None)
    if chosen is None:
        errors["study"] = unknown_study(wanted)
        return studies[0]
    return chosen


def _filters(study_id: int, outcomes: list[str], errors: dict[str, str]) -> CohortFilters:
    args = request.args
    instrument = args.get("instrument") or (outcomes[0] if outcomes else "vas")
    if instrument not in outcomes:  # e.g. kept from another study: show this study's first
        instrument = outcomes[0] if outcomes else "vas"
    date_from = a_date(args.get("date_from"), "date_from", errors, required=False)
    date_to = a_date(args.get("date_to"), "date_to", errors, required=False)
    if reversed_ := reversed_range(date_from, date_to):  # said, not an empty cohort
        errors["date_to"] = reversed_
    return CohortFilters(
        study_id=study_id, instrument=instrument,
        modality=_choice(args.get("modality"), catalog.MODALITIES, "modality", errors),
        procedure_type=_choice(args.get("procedure_type"), catalog.PROCEDURE_TYPES,
                               "procedure_type", errors),
        level=_choice(args.get("level"), catalog.LEVELS, "level", errors),
        site=blank_to_none(args.get("site")),
        date_from=date_from, date_to=date_to)


def _choice(value: str | None, known: dict[str, str], field: str,
            errors: dict[str, str]) -> str | None:
    value = blank_to_none(value)
    if value is not None and value not in known:
        errors[field] = "Choose from the list."
        return None
    return value


def _chart(s: CohortSummary, labels: dict[str, str], instrument: str,
           group: str = "arm") -> Any:
    if not s.timepoints:
        return None
    inst = INSTRUMENTS[instrument]
    return fitted_chart([labels[t] for t in s.timepoints],
                        [Series(a, s.medians(a)) for a in s.arms],
                        y_max=float(inst.max_value or 10), y_label=f"median {inst.code.upper()}",
                        title=f"Median {inst.label} by {group} over time")


def report_downloads(study_code: str, f: CohortFilters,
                     study_arms: list[StudyArm]) -> list[tuple[str, str]] | None:
    """Links to the study report's downloads (clinic.reports), with the same filters.

    The report filters by arm, not by procedure modality: a modality filter becomes the
    arms allocated to that modality; None when no arm is (the report cannot select by it).
    """
    query: dict[str, Any] = {"sites": f.site, "procedure_types": f.procedure_type,
                             "levels": f.level, "date_from": f.date_from, "date_to": f.date_to}
    if f.modality:
        query["arms"] = [a.code for a in study_arms if a.modality == f.modality]
        if not query["arms"]:
            return None
    query = {k: v for k, v in query.items() if v}
    found = []
    for fmt, label in REPORT_FORMATS:
        endpoint = f"reports.download_{fmt}"
        if endpoint in current_app.view_functions:
            found.append((url_for(endpoint, study=study_code, **query), label))
    return found
