"""Template filters and globals shared by every page."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from clinic import catalog


def clinic_today() -> date:
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def local_time(value: datetime | None) -> str:
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")  # "… 14:05 CET"


def collected_time(value: datetime | None) -> str:
    """When a score was collected. A visit entered on a later day is kept at noon of its
    day (clinic.followup.entry.visit_time): that noon is no time anyone gave, so it
    shows as the day alone."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
    if local.time() == time(12):
        return f"{local:%Y-%m-%d} (day only)"
    return local_time(value)


def window_closing(assessment: Any) -> str:
    """'the window closes in 2 days' for a visit not recorded whose window closes within
    the worklist's closing days (its group there), else ''."""
    from clinic.followup.worklist import CLOSING_DAYS

    left = (assessment.window_close - clinic_today()).days
    if assessment.state != "pending" or assessment.window_open > clinic_today() \
            or not 0 <= left <= CLOSING_DAYS:
        return ""
    return ("the window closes today" if left == 0
            else f"the window closes in {left} day{'s' if left != 1 else ''}")


def visit_status(assessment: Any) -> str:
    """A visit's status today, as the patient page and the grid show it (a pending visit
    is upcoming, due, overdue or missed)."""
    from clinic.scheduling.windows import PlannedVisit, status_on

    planned = PlannedVisit("", assessment.target_date, assessment.window_open,
                           assessment.window_close)
    return status_on(clinic_today(), planned, not_done=assessment.state == "not_done",
                     completed_at=assessment.visit_on or assessment.target_date
                     if assessment.state == "completed" else None).value


def instrument_label(code: str) -> str:
    from clinic.scoring.instruments import INSTRUMENTS

    found = INSTRUMENTS.get(code)
    return found.label if found is not None else code


def score_shown(instrument: str, value: float | None) -> str:
    """A recorded value as its scale reads: "32 %" for the ODI, "160 mg/day" for an OME,
    "4 (Very satisfied)" for a satisfaction (not a bare 4), "not computable" for a
    questionnaire without one."""
    from clinic.audit.words import score_value_words
    from clinic.scoring.instruments import INSTRUMENTS, InstrumentKind

    if value is None:
        return "not computable"
    found = INSTRUMENTS.get(instrument)
    if found is not None and found.kind is InstrumentKind.LIKERT:
        return score_value_words(instrument, str(value))
    shown = found is not None and (found.kind is InstrumentKind.QUANTITY or found.unit == "%")
    return f"{value:g} {found.unit}" if shown and found.unit else f"{value:g}"  # type: ignore[union-attr]


def open_query(number: str, patient_id: int | None) -> Any:
    """The data query a correction form was opened from (``?query=7``), if it is still
    open and about this form's patient: saving answers only an open one, so the form
    says so (and shows its question) only then. None otherwise."""
    from clinic.db import get_session
    from clinic.models import DataQuery

    if not (number.isascii() and number.isdigit() and len(number) < 10):
        return None
    query = get_session().get(DataQuery, int(number))
    if query is None or query.status != "open" or query.patient_id != patient_id:
        return None
    return query


def nothing_changed(errors: dict[str, str]) -> bool:
    """The form's only complaint: its values are the ones stored (no field to correct)."""
    from clinic.audit.versions import NOTHING_CHANGED as UNCHANGED_RECORD
    from clinic.edits import NOTHING_CHANGED

    return list(errors) == ["reason"] and errors["reason"] in (NOTHING_CHANGED,
                                                                UNCHANGED_RECORD)


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["collected_time"] = collected_time
    app.jinja_env.filters["window_closing"] = window_closing
    app.jinja_env.filters["score_shown"] = lambda s: score_shown(s.instrument, s.value)
    app.jinja_env.filters["visit_status"] = visit_status
    app.jinja_env.filters["instrument_label"] = instrument_label
    app.jinja_env.globals["catalog"] = catalog
    app.jinja_env.tests["nothing_changed"] = nothing_changed

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"clinic_today": clinic_today, "nav_links": nav_links, "open_query": open_query}


NAV_LINKS: list[tuple[str, str, frozenset[str]]] = [
    ("web.home", "Studies", frozenset(catalog.ROLES)),
    ("worklist.index", "Worklist", frozenset({"nurse", "coordinator", "admin"})),
    ("patients.index", "Patients", frozenset(catalog.ROLES)),
    ("grid.index", "Status grid", frozenset(catalog.ROLES)),
    ("queries.index", "Queries", frozenset(catalog.ROLES)),
    ("cohort.index", "Cohort", frozenset({"physician", "coordinator", "admin"})),
    ("reports.index", "Reports", frozenset({"physician", "coordinator", "admin"})),
    ("reminders.log", "Reminders", frozenset({"coordinator", "admin", "nurse"})),
    ("admin.users", "Admin", frozenset({"coordinator", "admin"})),
]


def nav_links() -> list[tuple[str, str, frozenset[str]]]:
    """Top navigation: (endpoint, label, roles that see it). Later pages append here."""
    return NAV_LINKS
