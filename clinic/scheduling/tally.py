"""Counts of visits by derived status from ``visit_tally``, and of enrolled patients from
``enrollment_tally`` (clinic.models.tally): a sum over a few thousand tally rows instead
of a pass over every visit or patient of the registry."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from sqlalchemy import Case, case, delete, func, insert, literal, select
from sqlmodel import Session

from clinic.models import EnrollmentTally, VisitTally
from clinic.scheduling.status import status_case
from clinic.studies.scope import in_scope

T = VisitTally.__table__.c  # type: ignore[attr-defined]
KEY = ("study_id", "site_id", "arm_id", "timepoint_id", "state", "window_open",
       "target_date", "window_close")
ENROLLMENT_KEY = ("study_id", "site_id", "arm_id")


def tally_status(today: date) -> Case[str]:
    """``clinic.scheduling.status.status_case`` over the tally's columns."""
    return status_case(today, T)


def _where(session: Session, query, study_id: int | None, site_id: int | None,  # type: ignore[no-untyped-def]
           arm_id: int | None):
    query = in_scope(session, query, T.study_id)  # a monitor: the studies they monitor
    if study_id is not None:
        query = query.where(T.study_id == study_id)
    if site_id is not None:
        query = query.where(T.site_id == site_id)
    if arm_id is not None:
        query = query.where(T.arm_id == arm_id)
    return query


def status_counts(session: Session, today: date, *, study_id: int | None = None,
                  site_id: int | None = None, arm_id: int | None = None) -> Counter[str]:
    status = tally_status(today)
    query = _where(session, select(status, func.sum(T.n)), study_id, site_id, arm_id)
    query = query.group_by(status)
    return Counter({s: int(n) for s, n in session.execute(query) if n})


def status_counts_by_timepoint(session: Session, today: date, *, study_id: int,
                               site_id: int | None = None, arm_id: int | None = None
                               ) -> dict[int, Counter[str]]:
    status = tally_status(today)
    query = _where(session, select(T.timepoint_id, status, func.sum(T.n)), study_id, site_id,
                   arm_id)
    found: dict[int, Counter[str]] = defaultdict(Counter)
    for tid, s, n in session.execute(query.group_by(T.timepoint_id, status)):
        if n:
            found[tid][s] += int(n)
    return found


def call_group_counts(session: Session, today: date, upcoming_days: int, *,
                      study_id: int | None = None, site_id: int | None = None,
                      timepoint_ids: list[int] | None = None) -> dict[int, int]:
    """Pending visits whose window is open or opens within ``upcoming_days``, counted by
    call group (the position in clinic.followup.worklist.CALL_GROUPS; same rule)."""
    from clinic.followup.worklist import CALL_GROUPS, CLOSING_DAYS

    order = list(CALL_GROUPS)
    rank = case(
        (T.window_close == today, order.index("last_day")),
        (T.target_date == today, order.index("today")),
        (T.window_open > today, order.index("upcoming")),
        (T.window_close <= today + timedelta(days=CLOSING_DAYS), order.index("closing")),
        (T.target_date < today, order.index("overdue")),
        else_=literal(order.index("open")),
    )
    query = _where(session, select(rank, func.sum(T.n)), study_id, site_id, None).where(
        T.state == "pending", T.window_close >= today,
        T.window_open <= today + timedelta(days=upcoming_days))
    if timepoint_ids is not None:
        query = query.where(T.timepoint_id.in_(timepoint_ids))
    return {int(r): int(n) for r, n in session.execute(query.group_by(rank)) if n}


def listed_target_range(session: Session, today: date,
                        upcoming_days: int) -> tuple[date, date] | None:
    """The earliest and latest target date of the pending visits on the worklist of
    ``today`` (window open or opening within ``upcoming_days``); None when there are none.
    Delta rows can only widen it, never narrow it, so it is a safe range for an index
    over (state, target_date)."""
    low, high = session.execute(select(func.min(T.target_date), func.max(T.target_date)).where(
        T.state == "pending", T.window_close >= today,
        T.window_open <= today + timedelta(days=upcoming_days))).one()
    return None if low is None else (low, high)


def compact_tallies(session: Session) -> int:
    """Fold the delta rows of the visit and enrollment tallies into one row per key (the
    sums stay the same); returns the number of rows removed. Safe beside writers: it
    deletes and re-inserts exactly the rows it read (DELETE … RETURNING), and writers
    only ever append."""
    return _compact(session, VisitTally, KEY) + _compact(session, EnrollmentTally,
                                                         ENROLLMENT_KEY)


def _compact(session: Session, model: type, key: tuple[str, ...]) -> int:
    columns = model.__table__.c  # type: ignore[attr-defined]
    deleted = session.execute(delete(model).returning(*[columns[k] for k in key],
                                                      columns.n)).all()
    sums: Counter[tuple[object, ...]] = Counter()
    for row in deleted:
        sums[tuple(row[:-1])] += row[-1]
    rows = [dict(zip(key, values, strict=True)) | {"n": n} for values, n in sums.items() if n]
    for start in range(0, len(rows), 10_000):
        session.execute(insert(model), rows[start:start + 10_000])
    return len(deleted) - len(rows)


def enrolled_by_arm(session: Session, study_id: int,
                    site_id: int | None = None) -> dict[int | None, int]:
    """Enrolled patients of a study per arm id (None: no group yet), of one site if given."""
    E = EnrollmentTally.__table__.c  # type: ignore[attr-defined]
    query = in_scope(session, select(E.arm_id, func.sum(E.n)), E.study_id).where(
        E.study_id == study_id)
    if site_id is not None:
        query = query.where(E.site_id == site_id)
    rows = session.execute(query.group_by(E.arm_id))
    return {arm: int(n) for arm, n in rows if n}


def enrolled_count(session: Session, *, site_id: int | None = None,
                   arm_id: int | None = None, study_id: int | None = None) -> int:
    """Enrolled patients, of one site, one arm and one study where given."""
    E = EnrollmentTally.__table__.c  # type: ignore[attr-defined]
    query = in_scope(session, select(func.coalesce(func.sum(E.n), 0)), E.study_id)
    if site_id is not None:
        query = query.where(E.site_id == site_id)
    if arm_id is not None:
        query = query.where(E.arm_id == arm_id)
    if study_id is not None:
        query = query.where(E.study_id == study_id)
    return int(session.execute(query).scalar_one())
