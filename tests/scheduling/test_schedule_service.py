"""Follow-up schedules in the database: the seed trial's schedule on 2026-01-15."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from clinic.followup.service import record_follow_up
from clinic.models import Assessment, StudyTimepoint
from clinic.procedures.service import move_procedure
from clinic.scheduling.status import status_case
from clinic.scheduling.windows import PlannedVisit, status_on
from tests.factories import assessments_of, make_patient, make_procedure, make_study

# (code, target, window open, window close), hand-derived from the protocol's
# offsets and windows for a procedure on 2026-01-15.
EXPECTED_2026_01_15 = [
    ("baseline", date(2026, 1, 15), date(2025, 12, 16), date(2026, 1, 15)),
    ("day_1", date(2026, 1, 16), date(2026, 1, 16), date(2026, 1, 17)),
    ("week_1", date(2026, 1, 22), date(2026, 1, 20), date(2026, 1, 24)),
    ("month_1", date(2026, 2, 14), date(2026, 2, 7), date(2026, 2, 21)),
    ("month_3", date(2026, 4, 15), date(2026, 4, 1), date(2026, 4, 29)),
    ("month_6", date(2026, 7, 14), date(2026, 6, 14), date(2026, 8, 13)),
]


def _schedule(session, patient) -> list[tuple[str, date, date, date]]:
    codes = {t.id: t.code for t in session.exec(select(StudyTimepoint))}
    return [(codes[a.timepoint_id], a.target_date, a.window_open, a.window_close)
            for a in assessments_of(session, patient)]


def test_a_procedure_on_2026_01_15_yields_the_seed_trial_schedule(session):
    patient, _ = make_patient(session, make_study(session), enrolled_on=date(2026, 1, 5))
    make_procedure(session, patient, when=datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    assert _schedule(session, patient) == EXPECTED_2026_01_15


def test_the_clinic_time_zone_decides_the_procedure_date(session):
    patient, _ = make_patient(session, make_study(session))
    # 23:30 UTC on the 14th is already the 15th in Berlin (the test clinic's zone)
    make_procedure(session, patient, when=datetime(2026, 1, 14, 23, 30, tzinfo=UTC))
    assert _schedule(session, patient)[0][1] == date(2026, 1, 15)


def test_moving_the_procedure_moves_only_pending_follow_ups(session):
    patient, _ = make_patient(session, make_study(session), enrolled_on=date(2026, 1, 5))
    procedure = make_procedure(session, patient, when=datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    baseline, day_1 = assessments_of(session, patient)[:2]
    record_follow_up(session, assessment=baseline, entries={"vas": 7}, mode="in_clinic",
                     actor_id=None)
    record_follow_up(session, assessment=day_1, entries={"vas": 5}, mode="phone", actor_id=None)
    move_procedure(session, patient=patient, procedure=procedure,
                   performed_at=datetime(2026, 1, 25, 9, 0, tzinfo=UTC), timezone="Europe/Berlin")
    moved = _schedule(session, patient)
    assert moved[:2] == EXPECTED_2026_01_15[:2]  # recorded: untouched
    assert moved[2] == ("week_1", date(2026, 2, 1), date(2026, 1, 30), date(2026, 2, 3))
    assert moved[5][1] == date(2026, 7, 24)


def test_sql_status_and_python_status_agree_on_every_boundary_day(session):
    patient, _ = make_patient(session, make_study(session))
    make_procedure(session, patient, when=datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    month_1 = assessments_of(session, patient)[3]
    planned = PlannedVisit("month_1", month_1.target_date, month_1.window_open,
                           month_1.window_close)
    for day in (date(2026, 2, 6), date(2026, 2, 7), date(2026, 2, 14), date(2026, 2, 15),
                date(2026, 2, 21), date(2026, 2, 22)):
        in_sql = session.exec(select(status_case(day)).where(Assessment.id == month_1.id)).one()
        assert in_sql == status_on(day, planned).value, day
