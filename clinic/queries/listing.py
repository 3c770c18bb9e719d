"""A page of data queries, newest first, filtered in SQL (keyset pagination)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from clinic.catalog import QUERY_STATES
from clinic.exceptions import ValidationError
from clinic.models import DataQuery, Patient, Site, User
from clinic.paging import DEFAULT_LIMIT, Page, cut, decode_cursor


@dataclass(frozen=True)
class QueryFilter:
    status: str | None = None  # None: every status
    site_id: int | None = None
    study_id: int | None = None
    patient_id: int | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in QUERY_STATES:
            raise ValidationError({"status": "Choose open, answered or closed."})


@dataclass(frozen=True)
class QueryRow:
    query: DataQuery
    study_code: str
    site_code: str
    raised_by: str | None = None  # the person who raised it (None: a rule)


def _filtered(query, f: QueryFilter):  # type: ignore[no-untyped-def]
    if f.status is not None:
        query = query.where(DataQuery.status == f.status)
    if f.site_id is not None:
        query = query.where(Patient.site_id == f.site_id)
    if f.study_id is not None:
        query = query.where(DataQuery.study_id == f.study_id)
    if f.patient_id is not None:
        query = query.where(DataQuery.patient_id == f.patient_id)
    return query


def query_page(session: Session, f: QueryFilter, *, cursor: str | None = None,
               limit: int = DEFAULT_LIMIT) -> Page[QueryRow]:
    """One page, newest first: two statements (rows, count)."""
    query = _filtered(select(DataQuery, Patient.study_code, Site.code, User.name)
                      .join(Patient, col(Patient.id) == col(DataQuery.patient_id))
                      .join(Site, col(Site.id) == col(Patient.site_id))
                      .outerjoin(User, col(User.id) == col(DataQuery.raised_by_id)), f)
    after = decode_cursor(cursor, (int,))
    if after is not None:
        query = query.where(col(DataQuery.id) < after[0])
    rows = [QueryRow(q, code, site, who) for q, code, site, who in
            session.exec(query.order_by(col(DataQuery.id).desc()).limit(limit + 1)).all()]
    shown, next_cursor = cut(rows, limit, lambda r: (r.query.id,))
    total = session.exec(_filtered(select(func.count(col(DataQuery.id)))
                                   .join(Patient, col(Patient.id) == col(DataQuery.patient_id)),
                                   f)).one()
    return Page(shown, next_cursor, int(total))
