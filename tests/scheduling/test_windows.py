from datetime import date, datetime

import pytest

from clinic.scheduling.windows import (
    SEED_TRIAL_SCHEDULE,
    PlannedVisit,
    ScheduleError,
    TimepointSpec,
    VisitStatus,
    plan,
    reanchor,
    status_on,
)

D = date.fromisoformat
PROCEDURE = D("2026-01-15")

# Hand-computed: code, target, window open, window close for a procedure on 2026-01-15.
EXPECTED_2026_01_15 = [
    ("baseline", "2026-01-15", "2025-12-16", "2026-01-15"),
    ("day_1", "2026-01-16", "2026-01-16", "2026-01-17"),
    ("week_1", "2026-01-22", "2026-01-20", "2026-01-24"),
    ("month_1", "2026-02-14", "2026-02-07", "2026-02-21"),
    ("month_3", "2026-04-15", "2026-04-01", "2026-04-29"),
    ("month_6", "2026-07-14", "2026-06-14", "2026-08-13"),
]


def _visits(rows):
    return [PlannedVisit(code, D(t), D(o), D(c)) for code, t, o, c in rows]


def _by_code(visits):
    return {v.code: v for v in visits}


def test_seed_schedule_on_2026_01_15():
    assert plan(PROCEDURE, SEED_TRIAL_SCHEDULE) == _visits(EXPECTED_2026_01_15)


def test_seed_schedule_definition():
    assert [(s.code, s.label, s.offset_days) for s in SEED_TRIAL_SCHEDULE] == [
        ("baseline", "Baseline", 0),
        ("day_1", "1 day", 1),
        ("week_1", "1 week", 7),
        ("month_1", "1 month", 30),
        ("month_3", "3 months", 90),
        ("month_6", "6 months", 180),
    ]
    assert [s.code for s in SEED_TRIAL_SCHEDULE if s.is_baseline] == ["baseline"]


def test_moving_the_procedure_moves_only_pending_visits():
    old = plan(PROCEDURE, SEED_TRIAL_SCHEDULE)
    new = reanchor(old, D("2026-01-20"), SEED_TRIAL_SCHEDULE, completed_codes={"baseline"})
    assert new == _visits([
        ("baseline", "2026-01-15", "2025-12-16", "2026-01-15"),
        ("day_1", "2026-01-21", "2026-01-21", "2026-01-22"),
        ("week_1", "2026-01-27", "2026-01-25", "2026-01-29"),
        ("month_1", "2026-02-19", "2026-02-12", "2026-02-26"),
        ("month_3", "2026-04-20", "2026-04-06", "2026-05-04"),
        ("month_6", "2026-07-19", "2026-06-19", "2026-08-18"),
    ])  # fmt: skip
    assert new[0] is old[0]


def test_reanchor_keeps_completed_and_not_done_visits():
    old = plan(PROCEDURE, SEED_TRIAL_SCHEDULE)
    done = ["baseline", "day_1", "week_1"]  # e.g. week_1 recorded as not done
    new = _by_code(reanchor(old, D("2026-02-01"), SEED_TRIAL_SCHEDULE, done))
    for code in done:
        assert new[code] == _by_code(old)[code]
    assert new["month_1"].target_date == D("2026-03-03")
    assert new["month_6"].target_date == D("2026-07-31")


def test_reanchor_with_nothing_done_equals_fresh_plan():
    old = plan(PROCEDURE, SEED_TRIAL_SCHEDULE)
    new_anchor = D("2026-03-01")
    assert reanchor(old, new_anchor, SEED_TRIAL_SCHEDULE, []) == plan(
        new_anchor, SEED_TRIAL_SCHEDULE
    )


def test_reanchor_refuses_unknown_codes():
    old = plan(PROCEDURE, SEED_TRIAL_SCHEDULE)
    with pytest.raises(ScheduleError, match="completed_codes"):
        reanchor(old, PROCEDURE, SEED_TRIAL_SCHEDULE, ["month_12"])
    stray = [*old, PlannedVisit("month_12", PROCEDURE, PROCEDURE, PROCEDURE)]
    with pytest.raises(ScheduleError, match="old_visits"):
        reanchor(stray, PROCEDURE, SEED_TRIAL_SCHEDULE, [])


@pytest.mark.parametrize(
    ("code", "today", "status"),
    [
        # 1 month: open 02-07, target 02-14, close 02-21
        ("month_1", "2026-02-06", VisitStatus.UPCOMING),
        ("month_1", "2026-02-07", VisitStatus.DUE),
        ("month_1", "2026-02-14", VisitStatus.DUE),
        ("month_1", "2026-02-15", VisitStatus.OVERDUE),
        ("month_1", "2026-02-21", VisitStatus.OVERDUE),
        ("month_1", "2026-02-22", VisitStatus.MISSED),
        # baseline: open 2025-12-16, target = close = 2026-01-15 -> never overdue
        ("baseline", "2025-12-15", VisitStatus.UPCOMING),
        ("baseline", "2025-12-16", VisitStatus.DUE),
        ("baseline", "2026-01-15", VisitStatus.DUE),
        ("baseline", "2026-01-16", VisitStatus.MISSED),
        # 1 day: open = target = 01-16, close 01-17
        ("day_1", "2026-01-15", VisitStatus.UPCOMING),
        ("day_1", "2026-01-16", VisitStatus.DUE),
        ("day_1", "2026-01-17", VisitStatus.OVERDUE),
        ("day_1", "2026-01-18", VisitStatus.MISSED),
    ],
)
def test_status_at_each_boundary(code, today, status):
    visit = _by_code(plan(PROCEDURE, SEED_TRIAL_SCHEDULE))[code]
    assert status_on(D(today), visit) is status


def test_recorded_outcomes_override_dates():
    visit = _by_code(plan(PROCEDURE, SEED_TRIAL_SCHEDULE))["month_1"]
    for today in ("2026-01-01", "2026-02-10", "2026-12-31"):
        assert status_on(D(today), visit, completed_at=D("2026-02-10")) is VisitStatus.COMPLETED
        assert status_on(D(today), visit, not_done=True) is VisitStatus.NOT_DONE
    with pytest.raises(ScheduleError, match="both"):
        status_on(D("2026-02-10"), visit, completed_at=D("2026-02-10"), not_done=True)


def test_status_values_and_labels():
    assert [s.value for s in VisitStatus] == [
        "upcoming", "due", "overdue", "missed", "completed", "not_done",
    ]  # fmt: skip
    assert VisitStatus.NOT_DONE.label == "Not done"


def test_datetime_is_refused():
    visit = plan(PROCEDURE, SEED_TRIAL_SCHEDULE)[1]
    with pytest.raises(ScheduleError, match="today"):
        status_on(datetime(2026, 1, 16, 9, 0), visit)
    with pytest.raises(ScheduleError, match="anchor_date"):
        plan(datetime(2026, 1, 15, 23, 30), SEED_TRIAL_SCHEDULE)
    with pytest.raises(ScheduleError, match="anchor_date"):
        plan("2026-01-15", SEED_TRIAL_SCHEDULE)


def test_schedule_validation():
    with pytest.raises(ScheduleError, match="window"):
        TimepointSpec("x", "X", 7, -1, 2)
    with pytest.raises(ScheduleError, match="offset_days"):
        TimepointSpec("x", "X", 7.5, 1, 2)
    dup = (TimepointSpec("a", "A", 1, 0, 0), TimepointSpec("a", "A2", 2, 0, 0))
    with pytest.raises(ScheduleError, match="duplicated a"):
        plan(PROCEDURE, dup)
    two_baselines = (
        TimepointSpec("b1", "B1", 0, 1, 0, is_baseline=True),
        TimepointSpec("b2", "B2", 0, 1, 0, is_baseline=True),
    )
    with pytest.raises(ScheduleError, match="baseline"):
        plan(PROCEDURE, two_baselines)


def test_he_et_al_style_schedule_of_one_hour_is_same_day():
    # Sub-day timepoints (He et al.: 1 hour) plan on the procedure day itself.
    specs = (TimepointSpec("hour_1", "1 hour", 0, 0, 0), TimepointSpec("day_7", "7 days", 7, 1, 1))
    hour, day7 = plan(PROCEDURE, specs)
    assert (hour.window_open, hour.target_date, hour.window_close) == (PROCEDURE,) * 3
    assert day7.target_date == D("2026-01-22")
