"""Pure follow-up window arithmetic.

Dates are :class:`datetime.date` in the clinic's time zone; the caller converts
timestamps before calling. ``datetime`` values (a subclass of ``date``) are
refused so that a UTC timestamp cannot slip in unconverted.

Anchoring: every timepoint of a schedule is an offset in days from ONE anchor,
the procedure date. The baseline is the timepoint with ``is_baseline=True``; in
the seed-trial schedule it is offset 0 with a window of 30 days before to 0 days
after the procedure, because the seed trial assessed VAS and ODI "prior to
intervention". Before the procedure date is known, the caller may plan on a
provisional date (e.g. enrollment) and :func:`reanchor` when it is fixed; a
completed baseline is then left untouched.

Visit status -- the one rule used everywhere (:func:`status_on`):
    completed / not_done if recorded; otherwise
    today <  window_open            -> upcoming
    window_open <= today <= target  -> due
    target < today <= window_close  -> overdue
    today >  window_close           -> missed
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum


class ScheduleError(ValueError):
    """Invalid schedule definition or date input; the message names the field."""


@dataclass(frozen=True)
class TimepointSpec:
    code: str
    label: str
    offset_days: int
    window_before_days: int
    window_after_days: int
    is_baseline: bool = False

    def __post_init__(self) -> None:
        for name in ("offset_days", "window_before_days", "window_after_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ScheduleError(f"{self.code}.{name}: must be an integer, got {value!r}")
        if self.window_before_days < 0 or self.window_after_days < 0:
            raise ScheduleError(f"{self.code}: window days must be >= 0")


# The seed trial (Bessar et al.) assesses at baseline, 1 day, 1 week, 1, 3 and 6
# months but gives no visit windows. The windows below are this product's
# defaults, not from the paper.
SEED_TRIAL_SCHEDULE: tuple[TimepointSpec, ...] = (
    TimepointSpec("baseline", "Baseline", 0, 30, 0, is_baseline=True),
    TimepointSpec("day_1", "1 day", 1, 0, 1),
    TimepointSpec("week_1", "1 week", 7, 2, 2),
    TimepointSpec("month_1", "1 month", 30, 7, 7),
    TimepointSpec("month_3", "3 months", 90, 14, 14),
    TimepointSpec("month_6", "6 months", 180, 30, 30),
)


@dataclass(frozen=True)
class PlannedVisit:
    code: str
    target_date: date
    window_open: date
    window_close: date


class VisitStatus(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    MISSED = "missed"
    COMPLETED = "completed"
    NOT_DONE = "not_done"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def meaning(self) -> str:
        """What the status says, in the worklist's words (its call groups split "due")."""
        return _MEANINGS[self]


_MEANINGS = {
    VisitStatus.UPCOMING: "window not open yet",
    VisitStatus.DUE: "window open, target date today or ahead",
    VisitStatus.OVERDUE: "target date passed, window still open",
    VisitStatus.MISSED: "window closed with nothing recorded",
    VisitStatus.COMPLETED: "scores recorded",
    VisitStatus.NOT_DONE: "marked not done, with the reason",
}


def validate_schedule(specs: Sequence[TimepointSpec]) -> None:
    """Unique codes, at most one baseline; ScheduleError otherwise."""
    codes = [spec.code for spec in specs]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ScheduleError(f"timepoint code: duplicated {', '.join(duplicates)}")
    if sum(spec.is_baseline for spec in specs) > 1:
        raise ScheduleError("is_baseline: at most one baseline timepoint per schedule")


def _check_date(value: object, field: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ScheduleError(f"{field}: must be a datetime.date (not datetime), got {value!r}")
    return value


def plan_one(anchor_date: date, spec: TimepointSpec) -> PlannedVisit:
    target = _check_date(anchor_date, "anchor_date") + timedelta(days=spec.offset_days)
    return PlannedVisit(
        code=spec.code,
        target_date=target,
        window_open=target - timedelta(days=spec.window_before_days),
        window_close=target + timedelta(days=spec.window_after_days),
    )


def plan(anchor_date: date, specs: Sequence[TimepointSpec]) -> list[PlannedVisit]:
    """One planned visit per timepoint, in the order of ``specs``."""
    validate_schedule(specs)
    return [plan_one(anchor_date, spec) for spec in specs]


def status_on(
    today: date,
    planned: PlannedVisit,
    completed_at: date | None = None,
    not_done: bool = False,
) -> VisitStatus:
    """Status of ``planned`` on ``today`` (see the rule in the module docstring)."""
    _check_date(today, "today")
    if completed_at is not None and not_done:
        raise ScheduleError(f"{planned.code}: a visit cannot be both completed and not done")
    if completed_at is not None:
        return VisitStatus.COMPLETED
    if not_done:
        return VisitStatus.NOT_DONE
    if today < planned.window_open:
        return VisitStatus.UPCOMING
    if today <= planned.target_date:
        return VisitStatus.DUE
    if today <= planned.window_close:
        return VisitStatus.OVERDUE
    return VisitStatus.MISSED


def reanchor(
    old_visits: Sequence[PlannedVisit],
    new_anchor: date,
    specs: Sequence[TimepointSpec],
    completed_codes: Iterable[str],
) -> list[PlannedVisit]:
    """Re-plan pending visits on ``new_anchor``; keep recorded ones as they were.

    ``completed_codes`` are the codes recorded as completed or not done. Returns
    the full schedule in ``specs`` order: the old PlannedVisit objects for those
    codes, freshly planned ones for every other (pending) timepoint.
    """
    validate_schedule(specs)
    old_by_code = {visit.code: visit for visit in old_visits}
    spec_codes = {spec.code for spec in specs}
    unknown = sorted(set(old_by_code) - spec_codes)
    if unknown:
        raise ScheduleError(f"old_visits: codes not in the schedule: {', '.join(unknown)}")
    done = set(completed_codes)
    not_planned = sorted(done - set(old_by_code))
    if not_planned:
        raise ScheduleError(f"completed_codes: no planned visit for {', '.join(not_planned)}")
    return [
        old_by_code[spec.code] if spec.code in done else plan_one(new_anchor, spec)
        for spec in specs
    ]


# a visit dated this many days or more outside its window is confirmed on the screens
FAR_OUTSIDE_DAYS = 30


def days_outside(visit_on: date, window_open: date, window_close: date) -> int:
    """Days before the window opens (negative) or after it closes (positive); 0 inside."""
    if visit_on < window_open:
        return (visit_on - window_open).days
    if visit_on > window_close:
        return (visit_on - window_close).days
    return 0


def window_deviation(visit_on: date | None, window_open: date, window_close: date) -> str | None:
    """How far outside its window a visit took place ("4 days late"), or None inside it."""
    if visit_on is None:
        return None
    days = days_outside(visit_on, window_open, window_close)
    if days == 0:
        return None
    return f"{abs(days)} day{'s' if abs(days) != 1 else ''} {'early' if days < 0 else 'late'}"
