"""Data queries on screen: the list, one query with its steps, raising one on a value,
and answering, closing or re-opening it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlmodel import Session
from werkzeug.wrappers import Response

from clinic.auth.roles import allow, any_user
from clinic.catalog import ANSWERS_QUERIES, CLOSES_QUERIES, QUERY_STATES, RAISES_QUERIES
from clinic.db import get_session
from clinic.exceptions import ValidationError
from clinic.models import DataQuery, Patient
from clinic.paging import page_limit
from clinic.queries.listing import QueryFilter, query_page
from clinic.queries.rules import RULE_TITLES, finding_now
from clinic.queries.service import (
    answer_query,
    close_query,
    markers,
    queries_of_patient,
    raise_query,
    reopen_query,
    steps_of,
)
from clinic.queries.targets import Target, parse_key, resolve
from clinic.web.access import (
    EDITS_CLINICAL_DATA,
    ENTERS_FOLLOW_UPS,
    RECORDS_PROCEDURES,
    all_sites,
    own_site_id,
    patient_or_404,
    query_or_404,
    site_filter,
)
from clinic.web.drafts import with_draft
from clinic.web.forms import strict_int
from clinic.web.locks import CORRECTION, LockNotice, record_lock_notice, visit_lock_notice

bp = Blueprint("queries", __name__, url_prefix="/queries")
# where each kind of value is corrected, and who may (a visit's date: on the visit's
# correction form)
CORRECTION_PAGES = {"assessment": ("followup.edit", ENTERS_FOLLOW_UPS),
                    "score": ("followup.edit", ENTERS_FOLLOW_UPS),
                    "score_section": ("followup.edit", ENTERS_FOLLOW_UPS),
                    "patient": ("patients.edit", EDITS_CLINICAL_DATA),
                    "procedure": ("procedures.correct", RECORDS_PROCEDURES),
                    "adverse_event": ("adverse_events.edit", EDITS_CLINICAL_DATA)}


@bp.route("")
@any_user
def index() -> tuple[str, int]:
    session = get_session()
    status = request.args.get("status", "open")
    errors: dict[str, str] = {}
    site = strict_int(request.args.get("site"), "site", errors)
    limit = request.args.get("limit")
    try:
        if errors:
            raise ValidationError(errors)
        f = QueryFilter(status=status or None, site_id=site_filter(site))
        page = query_page(session, f, cursor=request.args.get("cursor"),
                          limit=page_limit(limit))
    except ValidationError as error:
        errors = error.errors
        page = query_page(session, QueryFilter(status="open", site_id=site_filter(None)))
    query = {k: v for k, v in (("status", status), ("site", site), ("limit", limit))
             if v not in (None, "")}
    waiting = 0  # answered queries the closer has not seen on a page of open ones
    if status == "open" and not errors and current_user.role in CLOSES_QUERIES:
        waiting = query_page(session, QueryFilter(status="answered", site_id=f.site_id),
                             limit=1).total
    return render_template("queries/index.html", page=page, statuses=QUERY_STATES,
                           waiting=waiting,
                           status=status, sites=all_sites(session), site=site,
                           fixed_site=own_site_id(), errors=errors, query=query,
                           first_page=not request.args.get("cursor"),
                           rule_titles=RULE_TITLES), 422 if errors else 200


@bp.route("/<int:query_id>")
@any_user
def show(query_id: int) -> str:
    return _page(query_or_404(get_session(), query_id))


def _page(query: DataQuery, typed: dict[str, str] | None = None,
          errors: dict[str, str] | None = None) -> str:
    """The query, its steps and the forms (``typed``: what a refused form held)."""
    session = get_session()
    steps = steps_of(session, query)
    patient = session.get(Patient, query.patient_id)
    assert patient is not None  # (a query's patient is kept: a foreign key)
    correction = _correction_url(query)
    return render_template("queries/show.html", q=query, target=_target(query),
                           steps=steps, rule_now=_rule_now(session, query, steps),
                           rule_titles=RULE_TITLES,
                           correction=correction, typed=typed or {},
                           correction_lock=_correction_lock(session, query, patient)
                           if correction else None,
                           errors=errors or {},
                           study_code=patient.study_code,
                           can_answer=current_user.role in ANSWERS_QUERIES,
                           can_close=current_user.role in CLOSES_QUERIES)


def _rule_now(session: Session, query: DataQuery, steps: list[Any]) -> str | None:
    """For a query a rule raised: what the rule finds now, where it differs from what it
    asked (the values corrected since, whatever the query's state), or that it finds
    nothing any more; None where it asks the same, or for a query raised by hand."""
    if not query.rule:
        return None
    now = finding_now(session, query)
    if now is None:
        return ("The rule does not find this any more: the values agree now, or can no "
                "longer be checked.")
    asked = steps[0].step.text if steps and steps[0].step.step == "raised" else query.text
    return None if now.text == asked else now.text


@bp.route("/new", methods=["GET", "POST"])
@allow(*RAISES_QUERIES)
def new() -> tuple[str, int] | Response:
    session = get_session()
    key = request.values.get("target", "")
    try:
        table, row_id, field = parse_key(key)
        target = resolve(session, table, row_id, field)
    except ValidationError as error:
        abort(404, error.errors["target"])
    patient_or_404(session, target.patient_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            query = raise_query(session, table=table, row_id=row_id, field=field,
                                text=request.form.get("text"), actor_id=current_user.id)
            session.commit()
            flash(f"Query #{query.id} raised on {target.label}.", "success")
            return redirect(url_for("patients.show", patient_id=target.patient_id))
        except ValidationError as error:
            session.rollback()
            errors = error.errors
    asked = markers(queries_of_patient(session, target.patient_id, not_closed_only=True))
    typed = request.form if request.method == "POST" else with_draft(request.form)
    return render_template("queries/new.html", target=target, key=key, errors=errors,
                           text=typed.get("text", ""), asked=asked.get(target.key, []),
                           study_code=session.get(Patient, target.patient_id).study_code),  \
        422 if errors else 200  # type: ignore[union-attr]


@bp.post("/<int:query_id>/answer")
@allow(*ANSWERS_QUERIES)
def answer(query_id: int) -> Response | tuple[str, int]:
    return _step(query_id, answer_query, "answered", "answer")


@bp.post("/<int:query_id>/close")
@allow(*CLOSES_QUERIES)
def close(query_id: int) -> Response | tuple[str, int]:
    return _step(query_id, close_query, "closed", "close")


@bp.post("/<int:query_id>/reopen")
@allow(*CLOSES_QUERIES)
def reopen(query_id: int) -> Response | tuple[str, int]:
    return _step(query_id, reopen_query, "re-opened", "reopen")


def _step(query_id: int, action: Callable[..., None], done: str,
          form: str) -> Response | tuple[str, int]:
    """One step; refused (the query changed meanwhile, no text), the page comes back
    with what was typed kept in its form."""
    session = get_session()
    query = query_or_404(get_session(), query_id)
    try:
        action(session, query, text=request.form.get("text"), actor_id=current_user.id)
        session.commit()
        flash(f"Query #{query_id} {done}.", "success")
    except ValidationError as error:
        session.rollback()
        session.refresh(query)
        return _page(query, {form: request.form.get("text", "")[:1000]}, error.errors), 422
    return redirect(url_for("queries.show", query_id=query_id))


def _target(query: DataQuery) -> Target | None:
    """The value now; None where its row was removed since."""
    try:
        return resolve(get_session(), query.target_table, query.target_id, query.field)
    except ValidationError:
        return None


def _correction_url(query: DataQuery) -> str | None:
    """Where the value is corrected, with a reason, answering the query on saving."""
    if query.target_table not in CORRECTION_PAGES:
        return None
    endpoint, roles = CORRECTION_PAGES[query.target_table]
    if current_user.role not in roles:
        return None
    if endpoint == "followup.edit":
        visit = _visit_of(query)
        if visit is None:
            return None
        return url_for(endpoint, assessment_id=visit, query=query.id)
    if endpoint == "patients.edit":
        return url_for(endpoint, patient_id=query.patient_id, query=query.id)
    if endpoint == "adverse_events.edit":
        return url_for(endpoint, event_id=query.target_id, query=query.id)
    return url_for(endpoint, procedure_id=query.target_id, query=query.id)


def _visit_of(query: DataQuery) -> int | None:
    """The visit whose correction form corrects the value (a visit's date or scores)."""
    if CORRECTION_PAGES[query.target_table][0] != "followup.edit":
        return None
    return query.target_id if query.target_table == "assessment" else query.assessment_id


def _correction_lock(session: Session, query: DataQuery, patient: Patient) -> LockNotice | None:
    """The lock that holds the value the query asks about, said in place of the link to
    its correction (whose form would open read-only): a visit's value is held by the
    visit's lock too, the rest of the record by the patient's or the study's."""
    visit = _visit_of(query)
    if visit is not None:
        return visit_lock_notice(session, patient, visit, CORRECTION)
    return record_lock_notice(session, patient, CORRECTION)


def flash_raised(raised: list[int]) -> None:
    """Names each query the rules raised on the save: its value and its question."""
    if not raised:
        return
    found = get_session().execute(select(DataQuery.id, DataQuery.label, DataQuery.text)
                                  .where(DataQuery.id.in_(raised),  # type: ignore[union-attr]
                                         DataQuery.status == "open")  # (not one answered
                                  .order_by(DataQuery.id)).all()  # with the save's confirmation)
    if not found:
        return
    which = "; ".join(f"#{n} on {label}: {text}" for n, label, text in found)
    flash(f"Raised automatically on what was saved: data quer"
          f"{'ies' if len(found) > 1 else 'y'} {which} Answer "
          f"{'them' if len(found) > 1 else 'it'} under Queries (or from the ⚑ flag on the "
          "patient's page).",
          "info")


def flash_left_open(query_id: int | None, changed: list[str]) -> None:
    """A correction saved from a query's page that did not change the value the query
    asks about: the query stays open, and the page says so (and where to explain that
    the value is right)."""
    if query_id is None:
        return
    session = get_session()
    query = session.get(DataQuery, query_id)
    if query is None or query.status != "open" or query.field in changed:
        return
    now = finding_now(session, query) if query.rule else None
    if now is not None:  # (a rule's question may be about other values too: the OME's
        # about the opioids listed, which the correction may have changed)
        flash(f"Query #{query.id} stays open: its rule still finds this. {now.text} If "
              "the values are right, explain why on the query's page.", "info")
        return
    flash(f"Query #{query.id} asks about {query.label}, which this correction did not "
          "change: it stays open. If the value is right, explain why on the query's page.",
          "info")
