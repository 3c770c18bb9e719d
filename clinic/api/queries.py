"""API: data queries (list, read, raise, answer, close, re-open)."""

from __future__ import annotations

from collections.abc import Callable

from flask import request
from flask_login import current_user
from sqlmodel import Session, col, select
from werkzeug.wrappers import Response

from clinic.api.base import body, bp, ok, paged, patient_param, site_param, study_filter
from clinic.api.schemas import QueryIn, QueryOut, QueryStepIn, QueryStepOut
from clinic.auth.roles import allow, any_user
from clinic.catalog import ANSWERS_QUERIES, CLOSES_QUERIES, RAISES_QUERIES
from clinic.db import get_session
from clinic.exceptions import ValidationError
from clinic.models import DataQuery, DataQueryStep, Patient, User
from clinic.paging import page_limit
from clinic.queries.listing import QueryFilter, query_page
from clinic.queries.service import answer_query, close_query, raise_query, reopen_query
from clinic.queries.targets import parse_key, resolve
from clinic.web.access import patient_or_404, query_or_404, site_filter


@bp.get("/queries")
@any_user
def list_queries() -> Response:
    session = get_session()
    status = request.args.get("status") or None
    errors: dict[str, str] = {}
    site = site_param(request.args.get("site"), errors)
    study = study_filter(request.args.get("study"), errors)
    patient = patient_param(request.args.get("patient"), study, errors)
    if errors:
        raise ValidationError(errors)
    f = QueryFilter(status=status, site_id=site_filter(site), study_id=study,
                    patient_id=patient)
    if f.patient_id is not None:
        patient_or_404(session, f.patient_id)
    page = query_page(session, f, cursor=request.args.get("cursor"),
                      limit=page_limit(request.args.get("limit")))
    return paged(queries_out(session, [r.query for r in page.rows]), page.next_cursor)


@bp.get("/queries/<int:query_id>")
@any_user
def get_query(query_id: int) -> Response:
    session = get_session()
    return ok(queries_out(session, [query_or_404(session, query_id)],
                          with_value_now=True)[0])


@bp.post("/queries")
@allow(*RAISES_QUERIES)
def create_query() -> Response:
    session = get_session()
    data = body(QueryIn)
    table, row_id, field = parse_key(data.target)
    target = resolve(session, table, row_id, field)
    patient_or_404(session, target.patient_id)
    query = raise_query(session, table=table, row_id=row_id, field=field, text=data.text,
                        actor_id=current_user.id)
    session.commit()
    return ok(queries_out(session, [query], with_value_now=True)[0], 201)


@bp.post("/queries/<int:query_id>/answer")
@allow(*ANSWERS_QUERIES)
def answer_query_api(query_id: int) -> Response:
    return _step(query_id, answer_query)


@bp.post("/queries/<int:query_id>/close")
@allow(*CLOSES_QUERIES)
def close_query_api(query_id: int) -> Response:
    return _step(query_id, close_query)


@bp.post("/queries/<int:query_id>/reopen")
@allow(*CLOSES_QUERIES)
def reopen_query_api(query_id: int) -> Response:
    return _step(query_id, reopen_query)


def _step(query_id: int, action: Callable[..., None]) -> Response:
    session = get_session()
    query = query_or_404(session, query_id)
    data = body(QueryStepIn)
    action(session, query, text=data.text, actor_id=current_user.id)
    session.commit()
    return ok(queries_out(session, [query], with_value_now=True)[0])


def queries_out(session: Session, queries: list[DataQuery], *,
                with_value_now: bool = False) -> list[QueryOut]:
    """Queries with their steps and patients' codes in three statements, whatever their
    number; the value as it is now only for one query (``with_value_now``)."""
    ids = [q.id for q in queries]
    steps: dict[int, list[QueryStepOut]] = {}
    for step, name in session.exec(select(DataQueryStep, User.name)
                                   .outerjoin(User, col(User.id) == col(DataQueryStep.user_id))
                                   .where(col(DataQueryStep.query_id).in_(ids))
                                   .order_by(col(DataQueryStep.id))).all():
        steps.setdefault(step.query_id, []).append(QueryStepOut(
            step=step.step, text=step.text, by=name or "the rules", at=step.at))  # type: ignore[arg-type]
    codes = dict(session.exec(select(Patient.id, Patient.study_code).where(
        col(Patient.id).in_({q.patient_id for q in queries}))).all())
    return [QueryOut(id=q.id, patient_id=q.patient_id, study_code=codes.get(q.patient_id, ""),  # type: ignore[arg-type]
                     assessment_id=q.assessment_id,
                     target=f"{q.target_table}:{q.target_id}:{q.field}", label=q.label,
                     value_when_raised=q.value_when_raised,
                     value_now=_value_now(session, q) if with_value_now else None,
                     text=q.text, status=q.status, rule=q.rule,  # type: ignore[arg-type]
                     raised_at=q.raised_at, steps=steps.get(q.id, []))  # type: ignore[arg-type]
            for q in queries]


def _value_now(session: Session, q: DataQuery) -> str | None:
    try:
        return resolve(session, q.target_table, q.target_id, q.field).value
    except ValidationError:
        return None  # its row was removed since
