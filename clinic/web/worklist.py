"""The nurse's worklist: today's calls first, any day's list, a week's calendar, and the
call list on paper."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, render_template, request
from sqlmodel import col, select

from clinic.auth.roles import allow
from clinic.db import get_session
from clinic.exceptions import ValidationError
from clinic.followup.worklist import (
    CALL_GROUPS,
    SORT_KEYS,
    WorklistFilter,
    week,
    worklist,
    worklist_page,
)
from clinic.models import Study, StudyTimepoint
from clinic.queries.service import open_count
from clinic.selfreport.status import worklist_notes
from clinic.studies.setup import studies_with_patients
from clinic.web.access import (
    ENTERS_FOLLOW_UPS,
    all_sites,
    own_site_id,
    sees_identity,
    site_asked,
    site_filter,
)
from clinic.web.downloads import attachment
from clinic.web.filters import clinic_today
from clinic.web.forms import a_date, form_int
from clinic.web.locks import visit_entry_notices

bp = Blueprint("worklist", __name__)
SORTS = ("group", *SORT_KEYS)


TIMEPOINT_LABEL_MAX = 100  # StudyTimepoint.label's


def _filter(errors: dict[str, str]) -> WorklistFilter:
    args = request.args
    day = a_date(args.get("day"), "day", errors, required=False) or clinic_today()
    # a timepoint's code, or its label (up to 100 characters) where two studies code it apart
    timepoint = (args.get("timepoint") or "").strip()[:TIMEPOINT_LABEL_MAX] or None
    return WorklistFilter(today=day, site_id=site_filter(site_asked(get_session(),
                                                                    args.get("site"))),
                          study_id=_study_id(args.get("study"), errors), timepoint=timepoint)


def _study_id(given: str | None, errors: dict[str, str]) -> int | None:
    """The study chosen, by id (the form) or by code (a link someone typed)."""
    if not (given or "").strip():
        return None
    number = form_int(given)
    if number is not None:
        if get_session().get(Study, number) is None:
            errors["study"] = f"No study with id {number}: choose one from the list."
        return number
    found = get_session().exec(select(Study.id).where(
        Study.code == given.strip().upper()[:20])).first()  # type: ignore[union-attr]
    if found is None:
        errors["study"] = f"No study with code {given.strip()[:20]!r}."
    return found


def _choices() -> dict[str, Any]:
    session = get_session()
    studies = studies_with_patients(session)
    offsets: dict[tuple[str, str], int] = {}  # in the order of the schedule (baseline first)
    for t in session.exec(select(StudyTimepoint).where(
            col(StudyTimepoint.study_id).in_([s.id for s in studies]))):
        key = (t.code, t.label)
        offsets[key] = min(offsets.get(key, t.offset_days), t.offset_days)
    pairs = sorted(offsets, key=lambda pair: (offsets[pair], pair[1], pair[0]))
    labels = Counter(label for _code, label in pairs)
    # one label, two codes (two studies' "Baseline", coded BL and baseline): one choice,
    # the label, which the filter matches as it matches a code (it listed "Baseline (BL)"
    # and "Baseline (baseline)", found trying the screens as a new user would)
    timepoints = list(dict.fromkeys((code if labels[label] == 1 else label, label)
                                    for code, label in pairs))
    return {"sites": all_sites(session), "fixed_site": own_site_id(),
            "studies": studies, "timepoints": timepoints,
            "timepoint_names": {name for pair in pairs for name in pair}}  # codes, labels


@bp.route("/worklist")
@allow(*ENTERS_FOLLOW_UPS)
def index() -> tuple[str, int]:
    errors: dict[str, str] = {}
    f = _filter(errors)
    sort = request.args.get("sort", "group")
    sort = sort if sort in SORTS else "group"
    descending = request.args.get("dir") == "desc"
    session = get_session()
    cursor = request.args.get("cursor") or None
    try:
        page = worklist_page(session, f, sort=sort, descending=descending,
                             with_identity=sees_identity(), cursor=cursor)
    except ValidationError as error:  # a page link that does not decode
        flash(error.errors["cursor"], "error")
        cursor = None
        page = worklist_page(session, f, sort=sort, descending=descending,
                             with_identity=sees_identity())
    rows = page.rows
    choices = _choices()
    if f.timepoint and f.timepoint not in choices["timepoint_names"]:
        errors["timepoint"] = f"No visit {f.timepoint!r} in the studies: choose one from the list."
    notes = worklist_notes(session, [r.assessment_id for r in rows], f.today)
    locked = visit_entry_notices(session, {r.assessment_id: r.patient_id for r in rows})
    query = {"site": f.site_id, "study": f.study_id, "timepoint": f.timepoint,
             "day": f.today.isoformat(), "sort": sort, "dir": "desc" if descending else None}
    return render_template("worklist/index.html", rows=rows, f=f, sort=sort, notes=notes,
                           locked=locked,
                           page=page, first_page=cursor is None, query=query,
                           descending=descending, show_contact=sees_identity(),
                           groups=CALL_GROUPS, errors=errors, is_today=f.today == clinic_today(),
                           open_queries=open_count(session, site_id=f.site_id),
                           **choices), 422 if errors else 200


@bp.route("/worklist/week")
@allow(*ENTERS_FOLLOW_UPS)
def calendar() -> tuple[str, int]:
    errors: dict[str, str] = {}
    f = _filter(errors)
    start = a_date(request.args.get("start"), "start", errors, required=False) or clinic_today()
    # the seven days from that day: from the worklist, today and the six ahead (from a
    # Monday, a calendar week's; from a Sunday it was the week before, all gone by)
    days = week(get_session(), f, start, with_identity=sees_identity())
    locked = visit_entry_notices(get_session(), {r.assessment_id: r.patient_id
                                                 for rows in days.values() for r in rows})
    return render_template("worklist/week.html", days=days, f=f, start=start, locked=locked,
                           end=start + timedelta(days=6),
                           previous=start - timedelta(days=7), following=start + timedelta(days=7),
                           show_contact=sees_identity(), errors=errors, **_choices()), \
        422 if errors else 200


@bp.route("/worklist/calls.pdf")
@allow(*ENTERS_FOLLOW_UPS)
def call_list() -> Response:
    from clinic.sheets.call_list import call_list_pdf  # ReportLab: on first use

    errors: dict[str, str] = {}
    f = _filter(errors)
    if errors:  # a list printed for another study, site or day than asked is worse than none
        abort(422, "The call list was not printed: " + " ".join(errors.values()))
    session = get_session()
    rows = worklist(session, f, with_identity=sees_identity(),
                    groups=("last_day", "today", "overdue", "closing", "open"))
    notes = worklist_notes(session, [r.assessment_id for r in rows], f.today)
    # an open window is on paper when the worklist says to call: a self-report link
    # not delivered or not answered
    rows = [r for r in rows if r.group != "open" or notes.get(r.assessment_id, ("", False))[1]]
    site = next((s.code for s in all_sites(session) if s.id == f.site_id), "all sites")
    content = call_list_pdf(rows, day=f.today, site=site, groups=CALL_GROUPS,
                            with_contact=sees_identity(),
                            notes={i: note for i, (note, _call) in notes.items()})
    name = f"calls_{f.today.isoformat()}.pdf"
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": attachment(name),
                             "Cache-Control": "no-store"})
