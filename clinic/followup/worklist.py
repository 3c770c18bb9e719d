"""The nurse's worklist: today's calls first, then what comes up (read-only queries).

A follow-up's *call group* says how urgent the call is on a given day: the window
closes today (its last day: the most urgent, whatever its target), due today (its
target date), the window closes within three days (the last chances, whether the target
has passed or not), overdue (past the target, the window open longer), the window is
open, upcoming (window not open yet). The derived status of
clinic.scheduling ("due" = window open, target not passed) stays what the grid and the
counts use; the worklist orders by the call group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Case, Integer, asc, case, desc, literal, null, or_, tuple_
from sqlmodel import Session, col, select

from clinic.models import (
    Assessment,
    Patient,
    PatientIdentity,
    Site,
    Study,
    StudyArm,
    StudyTimepoint,
)
from clinic.models.enrollment import Enrollment
from clinic.paging import DEFAULT_LIMIT, cut, decode_cursor

CLOSING_DAYS = 3
CALL_GROUPS = {
    "last_day": "Window closes today (last day)",
    "today": "Due today",
    "closing": f"Window closes within {CLOSING_DAYS} days",
    "overdue": "Overdue (window still open)",
    "open": "Due (window open)",  # the grid's "due": the target not reached
    "upcoming": "Upcoming",
}
SORT_KEYS = {
    "target": (Assessment.target_date, date),
    "window": (Assessment.window_close, date),
    "code": (Patient.study_code, str),
    "timepoint": (StudyTimepoint.position, int),
    "site": (Site.code, str),
}


def call_group(target: date, window_open: date, window_close: date, today: date) -> str:
    """How urgent the call is on ``today`` (pure; see the module docstring)."""
    if window_close == today:
        return "last_day"
    if target == today:
        return "today"
    if window_open > today:
        return "upcoming"
    if (window_close - today).days <= CLOSING_DAYS:
        return "closing"
    if target < today:
        return "overdue"
    return "open"


def group_rank(today: date) -> Case[int]:
    """``call_group`` in SQL, as the group's position in CALL_GROUPS (0 = the last day)."""
    order = list(CALL_GROUPS)
    return case(
        (Assessment.window_close == today, order.index("last_day")),
        (Assessment.target_date == today, order.index("today")),
        (Assessment.window_open > today, order.index("upcoming")),
        (Assessment.window_close <= today + timedelta(days=CLOSING_DAYS), order.index("closing")),
        (Assessment.target_date < today, order.index("overdue")),
        else_=literal(order.index("open"), Integer),
    )


@dataclass(frozen=True)
class WorklistRow:
    assessment_id: int
    patient_id: int
    study_code: str
    study: str
    is_synthetic: bool
    site_code: str
    arm_code: str
    timepoint: str
    target_date: date
    window_open: date
    window_close: date
    group: str
    version: int
    name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class WorklistFilter:
    today: date
    site_id: int | None = None
    study_id: int | None = None
    timepoint: str | None = None  # a timepoint code
    upcoming_days: int = 14


@dataclass(frozen=True)
class WorklistPage:
    rows: list[WorklistRow]
    next_cursor: str | None
    counts: dict[str, int]  # call group -> follow-ups in it, over every page


def _sort_key(sort: str, today: date) -> list[tuple[object, type]]:
    """The columns a sort orders by, the assessment id last so that the order is total."""
    if sort in SORT_KEYS:
        key = [SORT_KEYS[sort]]
    else:  # "group": by urgency, then target date
        key = [(group_rank(today), int), (Assessment.target_date, date)]
    return [*key, (Assessment.id, int)]


def _listed(session: Session, f: WorklistFilter, with_identity: bool,  # type: ignore[no-untyped-def]
            read: str = "range"):
    """The worklist's visits; the target-date range read from the visit tallies lets
    the database read an index range instead of every pending visit of the registry.
    ``read="day"``: without that range, for a query that names its target day (today's
    visits): beside the range, SQLite's planner read the range and not the day (240 ms
    at 200,000 patients instead of 25). ``read="close"``: for a query that names the
    window's closing day, read through the index on it (see ``_query``)."""
    from clinic.scheduling.tally import listed_target_range

    query = _query(session, f, with_identity, state_indexed=read != "close").where(
        Assessment.window_close >= f.today,
        Assessment.window_open <= f.today + timedelta(days=f.upcoming_days))
    if read != "range":
        return query
    found = listed_target_range(session, f.today, f.upcoming_days)
    low, high = found or (f.today, f.today - timedelta(days=1))  # none: an empty range
    return query.where(Assessment.target_date >= low, Assessment.target_date <= high)


READ_BY = {"last_day": "close", "today": "day"}  # groups of one named day (see _listed);
# the others read the target range


def _group_conditions(today: date) -> dict[str, list[object]]:
    """Each call group as conditions on the target date first (an index range on
    (state, target_date) that a LIMIT stops early), then on the window; the last day's
    on the window's close (its own index: a day's few visits, sorted)."""
    closing = today + timedelta(days=CLOSING_DAYS)
    return {
        "last_day": [Assessment.window_close == today],  # its day named: the index on it
        "today": [Assessment.target_date == today, Assessment.window_close > today],
        "closing": [Assessment.target_date <= closing, Assessment.target_date != today,
                    Assessment.window_open <= today, Assessment.window_close <= closing,
                    Assessment.window_close > today],
        "overdue": [Assessment.target_date < today, Assessment.window_close > closing],
        "open": [Assessment.target_date > today, Assessment.window_open <= today,
                 Assessment.window_close > closing],
        "upcoming": [Assessment.target_date > today, Assessment.window_open > today],
    }


def worklist_page(session: Session, f: WorklistFilter, *, sort: str = "group",
                  descending: bool = False, with_identity: bool = False,
                  cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> WorklistPage:
    """A page of ``worklist``, sorted and cut in SQL (keyset), with the count of every
    call group over all pages (from the visit tallies).

    The default order (call group, target date) reads one group after the other, each
    in index order, so a page costs the same in a registry of 200 or 200,000 patients;
    the other sorts order all of the day's follow-ups in the database.
    """
    key = _sort_key(sort, f.today)
    after = decode_cursor(cursor, [str if t is date else t for _, t in key])
    if after is not None:
        after = tuple(date.fromisoformat(v) if t is date else v
                      for v, (_, t) in zip(after, key, strict=True))
    if sort in SORT_KEYS or descending:
        fetched = _sorted_rows(session, f, key, after, descending, with_identity, limit)
    else:
        fetched = _rows_by_group(session, f, after, with_identity, limit)
    shown, next_cursor = cut(fetched, limit, lambda pair: pair[1])
    return WorklistPage([row for row, _ in shown], next_cursor, group_counts(session, f))


def _sorted_rows(session: Session, f: WorklistFilter, key: list[tuple[object, type]],
                 after: tuple[object, ...] | None, descending: bool, with_identity: bool,
                 limit: int) -> list[tuple[WorklistRow, tuple[object, ...]]]:
    columns = [c for c, _ in key]
    query = _listed(session, f, with_identity).add_columns(*columns)
    if after is not None:
        query = query.where(tuple_(*columns) < tuple_(*after) if descending
                            else tuple_(*columns) > tuple_(*after))
    query = query.order_by(*[desc(c) if descending else asc(c) for c in columns])
    return [(_row(r[:10], f.today), tuple(r[10:])) for r in session.exec(query.limit(limit + 1))]


def _rows_by_group(session: Session, f: WorklistFilter, after: tuple[object, ...] | None,
                   with_identity: bool, limit: int) -> list[tuple[WorklistRow, tuple[object, ...]]]:
    found: list[tuple[WorklistRow, tuple[object, ...]]] = []
    conditions = _group_conditions(f.today)
    listed = None  # its target range read once, not per group
    for rank, group in enumerate(CALL_GROUPS):  # a statement per group until the page is
        wanted = limit + 1 - len(found)          # full: at most six, whatever the registry
        if wanted <= 0 or (after is not None and rank < after[0]):  # type: ignore[operator]
            continue  # (a LIMIT 0 statement still costs its planning: 2-5 ms on PostgreSQL)
        if group in READ_BY:  # its day named: no range beside it
            query = _listed(session, f, with_identity, READ_BY[group]).where(*conditions[group])
        else:
            listed = listed if listed is not None else _listed(session, f, with_identity)
            query = listed.where(*conditions[group])
        if after is not None and rank == after[0]:
            query = query.where(tuple_(Assessment.target_date, Assessment.id)
                                > tuple_(after[1], after[2]))
        query = query.order_by(Assessment.target_date, Assessment.id).limit(wanted)
        found += [(row, (rank, row.target_date, row.assessment_id))
                  for row in (_row(r, f.today) for r in session.exec(query))]
    return found


def group_counts(session: Session, f: WorklistFilter) -> dict[str, int]:
    """Follow-ups per call group over every page, from the visit tallies."""
    from clinic.scheduling.tally import call_group_counts

    timepoint_ids = None
    if f.timepoint:
        query = select(StudyTimepoint.id).where(timepoint_named(f.timepoint))
        if f.study_id is not None:
            query = query.where(StudyTimepoint.study_id == f.study_id)
        timepoint_ids = list(session.exec(query))
    found = call_group_counts(session, f.today, f.upcoming_days, study_id=f.study_id,
                              site_id=f.site_id, timepoint_ids=timepoint_ids)  # type: ignore[arg-type]
    return {group: found.get(i, 0) for i, group in enumerate(CALL_GROUPS)}


def worklist(session: Session, f: WorklistFilter, *, sort: str = "group",
             descending: bool = False, with_identity: bool = False,
             groups: tuple[str, ...] | None = None) -> list[WorklistRow]:
    """Pending follow-ups whose window is open or opens within ``upcoming_days``, all of
    them (the call list on paper): ``groups`` keeps only those call groups."""
    query = _listed(session, f, with_identity)
    if groups is not None:
        query = query.where(group_rank(f.today).in_([list(CALL_GROUPS).index(g)
                                                     for g in groups]))
    columns = [c for c, _ in _sort_key(sort, f.today)]
    query = query.order_by(*[desc(c) if descending else asc(c) for c in columns])
    return [_row(r, f.today) for r in session.exec(query).all()]


def week(session: Session, f: WorklistFilter, start: date,
         with_identity: bool = False) -> dict[date, list[WorklistRow]]:
    """Pending follow-ups by target day, for the seven days from ``start``."""
    end = start + timedelta(days=6)
    query = _query(session, f, with_identity).where(
        Assessment.target_date >= start, Assessment.target_date <= end).order_by(
        Assessment.target_date, Site.code, Patient.study_code)
    days: dict[date, list[WorklistRow]] = {start + timedelta(days=i): [] for i in range(7)}
    for r in session.exec(query).all():
        row = _row(r, f.today)
        days[row.target_date].append(row)
    return days


def _query(session: Session, f: WorklistFilter, with_identity: bool,  # type: ignore[no-untyped-def]
           state_indexed: bool = True):
    """``state_indexed=False``: the state tested as ``state || ''``, which no index
    serves, for a query that names the window's closing day: SQLite otherwise read every
    pending visit through (state, target_date) for its ORDER BY, not the day's few."""
    pending = (Assessment.state if state_indexed else col(Assessment.state).concat("")) == "pending"
    contact = ((PatientIdentity.name, PatientIdentity.phone, PatientIdentity.email)
               if with_identity else (null().label("name"), null().label("phone"),
                                      null().label("email")))
    query = (select(Assessment, Patient.study_code, Study.code, Study.is_synthetic, Site.code,
                    StudyArm.code, StudyTimepoint.label, *contact)
             .join(Patient, Patient.id == Assessment.patient_id)
             .join(Study, Study.id == Patient.study_id)
             .join(Site, Site.id == Patient.site_id)
             .join(StudyTimepoint, StudyTimepoint.id == Assessment.timepoint_id)
             .join(Enrollment, Enrollment.patient_id == Patient.id)
             .join(StudyArm, StudyArm.id == Enrollment.arm_id, isouter=True)
             .where(pending))
    if with_identity:
        query = query.join(PatientIdentity, PatientIdentity.patient_id == Patient.id,
                           isouter=True)
    if f.site_id is not None:
        query = query.where(Patient.site_id == f.site_id)
    if f.study_id is not None:
        query = query.where(Patient.study_id == f.study_id)
    if f.timepoint:
        query = query.where(timepoint_named(f.timepoint))
    return query


def timepoint_named(value: str) -> Any:
    """The worklist's visit filter: a timepoint's code, or its label (the choice for a
    label two studies give timepoints of different codes)."""
    return or_(StudyTimepoint.code == value, StudyTimepoint.label == value)


def _row(r: tuple, today: date) -> WorklistRow:  # type: ignore[type-arg]
    a, code, study, synthetic, site, arm, label, name, phone, email = r
    return WorklistRow(a.id, a.patient_id, code, study, bool(synthetic), site, arm or "",
                       label, a.target_date, a.window_open, a.window_close,
                       call_group(a.target_date, a.window_open, a.window_close, today),
                       a.version, name, phone, email)
