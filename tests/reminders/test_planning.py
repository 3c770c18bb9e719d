"""Reminder rows follow the schedule: planned, re-planned, cancelled, shown per patient."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, event, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from clinic.enrollment.service import withdraw
from clinic.followup.service import mark_not_done, record_follow_up
from clinic.models import Assessment, Enrollment, NurseDigest, Reminder, Site, Study
from clinic.procedures.service import move_procedure
from clinic.reminders import next_reminder_for_patient, reconcile_reminders
from clinic.reminders.planning import plan_digests, plan_patient_reminders
from tests.factories import make_patient, make_procedure
from tests.reminders.conftest import Clinic, assessment_at, reminder_of


def _reminders(session: Session, clinic: Clinic) -> dict[date, str]:
    rows = session.exec(select(Reminder)).all()
    for row in rows:
        session.refresh(row)
    return {r.visit_date: r.state for r in rows}


def test_recording_the_procedure_plans_one_reminder_per_follow_up(session, clinic):
    # consenting patient only; baseline excluded: day 1, week 1, months 1, 3, 6
    assert _reminders(session, clinic) == {
        date(2026, 1, 16): "pending", date(2026, 1, 22): "pending",
        date(2026, 2, 14): "pending", date(2026, 4, 15): "pending",
        date(2026, 7, 14): "pending"}
    month_1 = reminder_of(session, assessment_at(session, clinic.patient, "month_1"))
    assert month_1.send_on == date(2026, 2, 11)


def test_recording_the_procedure_inserts_its_reminders_in_one_statement(session, clinic):
    study = session.get(Study, clinic.patient.study_id)
    patient, _ = make_patient(session, study, site=session.get(Site, clinic.patient.site_id))
    seen = _statements_of(session, lambda: make_procedure(
        session, patient, when=datetime(2026, 1, 15, 9, 30, tzinfo=UTC)))
    assert sum(s.startswith("INSERT INTO reminder") for s in seen) == 1, seen
    planned = session.exec(select(Reminder).join(Assessment).where(
        Assessment.patient_id == patient.id)).all()
    assert sorted(r.visit_date for r in planned) == [
        date(2026, 1, 16), date(2026, 1, 22), date(2026, 2, 14), date(2026, 4, 15),
        date(2026, 7, 14)]


def test_completing_the_assessment_cancels_its_reminder(session, clinic):
    assessment = assessment_at(session, clinic.patient, "month_1")
    record_follow_up(session, assessment=assessment, entries={"vas": 3}, mode="in_clinic",
                     actor_id=None)
    session.commit()
    row = reminder_of(session, assessment)
    assert (row.state, row.note) == ("cancelled", "follow-up completed")


@pytest.mark.parametrize("outcome", ["completed", "not_done"])
def test_the_save_leaves_what_a_full_reconcile_would(session, clinic, outcome):
    """The save cancels by two UPDATEs (cancel_for_recorded); a full reconcile of the
    same visit afterwards finds nothing to change."""
    assessment = assessment_at(session, clinic.patient, "month_1")
    if outcome == "completed":
        record_follow_up(session, assessment=assessment, entries={"vas": 3},
                         mode="in_clinic", actor_id=None)
    else:
        mark_not_done(session, assessment=assessment, reason="travelling", actor_id=None)
    assert reconcile_reminders(session, [assessment.id], today=date(2026, 1, 2)) == 0
    session.commit()
    note = "follow-up completed" if outcome == "completed" else "follow-up not done"
    assert (reminder_of(session, assessment).state, reminder_of(session, assessment).note) \
        == ("cancelled", note)


def test_marking_not_done_and_withdrawal_cancel(session, clinic):
    week_1 = assessment_at(session, clinic.patient, "week_1")
    mark_not_done(session, assessment=week_1, reason="travelling", actor_id=None)
    session.commit()
    assert reminder_of(session, week_1).state == "cancelled"
    enrollment = session.exec(select(Enrollment).where(
        Enrollment.patient_id == clinic.patient.id)).one()
    withdraw(session, enrollment=enrollment, reason="moved away", actor_id=None)
    session.commit()
    assert set(_reminders(session, clinic).values()) == {"cancelled"}


def test_moving_the_procedure_replans_pending_reminders(session, clinic):
    month_1 = assessment_at(session, clinic.patient, "month_1")
    move_procedure(session, patient=clinic.patient, procedure=clinic.procedure,
                   performed_at=datetime(2026, 1, 20, 9, 0, tzinfo=UTC),
                   timezone="Europe/Berlin")
    session.commit()
    row = reminder_of(session, month_1)
    assert (row.state, row.visit_date, row.send_on) == ("pending", date(2026, 2, 19),
                                                        date(2026, 2, 16))
    assert row.note == "re-planned: visit moved from 2026-02-14"


def test_a_sent_reminder_is_not_replanned_when_the_date_moves(session, clinic):
    month_1 = assessment_at(session, clinic.patient, "month_1")
    row = reminder_of(session, month_1)
    row.state, row.sent_at = "sent", datetime(2026, 2, 11, 7, 0, tzinfo=UTC)
    session.add(row)
    session.commit()
    move_procedure(session, patient=clinic.patient, procedure=clinic.procedure,
                   performed_at=datetime(2026, 1, 20, 9, 0, tzinfo=UTC),
                   timezone="Europe/Berlin")
    session.commit()
    again = reminder_of(session, month_1)
    assert (again.state, again.visit_date) == ("sent", date(2026, 2, 14))


def test_the_database_refuses_a_second_reminder_for_the_same_assessment(session, clinic):
    month_1 = assessment_at(session, clinic.patient, "month_1")
    session.add(Reminder(assessment_id=month_1.id, visit_date=month_1.target_date,
                         send_on=month_1.target_date))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_daily_planning_cancels_past_visits_and_is_idempotent(session, clinic):
    today = date(2026, 2, 11)
    plan_patient_reminders(session, today=today, days_before=3)
    session.commit()
    assert _reminders(session, clinic)[date(2026, 1, 22)] == "cancelled"
    assert _reminders(session, clinic)[date(2026, 2, 14)] == "pending"
    assert plan_patient_reminders(session, today=today, days_before=3) == 0
    assert reconcile_reminders(session, []) == 0


def test_digests_one_per_nurse_and_day(session, clinic):
    assert plan_digests(session, today=date(2026, 2, 11)) == 1
    assert plan_digests(session, today=date(2026, 2, 11)) == 0
    session.commit()
    digest = session.exec(select(NurseDigest)).one()
    assert (digest.user_id, digest.digest_date) == (clinic.nurse.id, date(2026, 2, 11))
    session.add(NurseDigest(user_id=clinic.nurse.id, digest_date=date(2026, 2, 11)))
    with pytest.raises(IntegrityError):
        session.commit()


def test_next_reminder_for_patient(session, clinic):
    upcoming = next_reminder_for_patient(session, clinic.patient.id)
    assert upcoming is not None
    assert (upcoming.timepoint, upcoming.visit_date, upcoming.state) == (
        "1 day", date(2026, 1, 16), "pending")
    assert next_reminder_for_patient(session, clinic.other.id) is None


def test_a_procedure_entered_late_plans_no_reminders_for_past_visits(session, clinic):
    study = session.get(Study, clinic.patient.study_id)
    late, _ = make_patient(session, study, enrolled_on=date(2025, 12, 1))
    make_procedure(session, late, when=datetime(2025, 12, 10, 9, 0, tzinfo=UTC))
    session.commit()  # the clock says 2026-01-12
    rows = session.exec(select(Reminder.visit_date, Reminder.state, Reminder.note)
                        .join(Assessment).where(Assessment.patient_id == late.id)
                        .order_by(Reminder.visit_date)).all()
    assert [(d.isoformat(), s) for d, s, _ in rows] == [
        ("2026-03-10", "pending"), ("2026-06-08", "pending")]  # none for the past visits


def test_moving_a_visit_into_the_past_cancels_its_reminder(session, clinic):
    move_procedure(session, patient=clinic.patient, procedure=clinic.procedure,
                   performed_at=datetime(2026, 1, 10, 9, 0, tzinfo=UTC),
                   timezone="Europe/Berlin")  # the clock says 2026-01-12; enrolled 01-10
    session.commit()
    day_1 = reminder_of(session, assessment_at(session, clinic.patient, "day_1"))
    week_1 = reminder_of(session, assessment_at(session, clinic.patient, "week_1"))
    assert (day_1.state, day_1.note) == ("cancelled", "visit date passed")
    assert (week_1.state, week_1.visit_date) == ("pending", date(2026, 1, 17))


def test_next_reminder_skips_past_visits(session, clinic, clock):
    clock.shift(timedelta(days=10))  # 2026-01-22: the 1-day visit is past
    upcoming = next_reminder_for_patient(session, clinic.patient.id)
    assert (upcoming.timepoint, upcoming.visit_date) == ("1 week", date(2026, 1, 22))


def _statements_of(session: Session, action: Callable[[], object]) -> list[str]:
    """The SQL statements ``action`` runs."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _many) -> None:  # noqa: ANN001
        seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def _statements_of_the_daily_pass(session: Session, today: date) -> list[str]:
    def nothing_to_plan() -> None:
        assert plan_patient_reminders(session, today=today, days_before=3) == 0

    return _statements_of(session, nothing_to_plan)


def test_the_daily_pass_reads_only_what_is_due_whatever_the_registry_size(session, clinic):
    """Plan on write: reminders were planned when the procedures were recorded, so a day
    with nothing due reads one range of reminders, the same statements for 2 patients as
    for 12, and never touches an upcoming visit's row."""
    today = date(2026, 1, 12)  # before every sending day
    session.commit()
    few = _statements_of_the_daily_pass(session, today)
    study = session.get(Study, clinic.patient.study_id)
    site = session.get(Site, clinic.patient.site_id)
    for _ in range(10):
        patient, _ = make_patient(session, study, site=site)
        make_procedure(session, patient, when=datetime(2026, 1, 15, 9, 30, tzinfo=UTC))
    session.commit()
    many = _statements_of_the_daily_pass(session, today)
    assert len(many) == len(few) <= 6, many
    assert not any("FROM assessment" in s for s in many), many
    month_1 = reminder_of(session, assessment_at(session, clinic.patient, "month_1"))
    session.execute(update(Reminder).where(Reminder.id == month_1.id)  # type: ignore[arg-type]
                    .values(send_on=date(2026, 2, 1)))  # changed around the app
    session.commit()
    plan_patient_reminders(session, today=today, days_before=3)
    session.refresh(month_1)
    assert month_1.send_on == date(2026, 2, 1)  # the daily pass did not look at it


def test_the_replan_command_repairs_rows_written_around_the_app(app, session, clinic, clock):
    month_1 = reminder_of(session, assessment_at(session, clinic.patient, "month_1"))
    session.execute(update(Reminder).where(Reminder.id == month_1.id)  # type: ignore[arg-type]
                    .values(send_on=date(2026, 2, 1)))
    session.execute(delete(Reminder).where(
        Reminder.visit_date == date(2026, 4, 15)))  # type: ignore[arg-type]
    session.commit()
    app.config["REMINDER_DAYS_BEFORE"] = 3
    result = app.test_cli_runner().invoke(args=["reminders", "replan"])
    assert result.exit_code == 0, result.output
    assert "reminders: 2 planned, re-planned or cancelled" in result.output
    session.refresh(month_1)
    assert month_1.send_on == date(2026, 2, 11)
    assert _reminders(session, clinic)[date(2026, 4, 15)] == "pending"
    again = app.test_cli_runner().invoke(args=["reminders", "replan"])
    assert "reminders: 0 planned" in again.output
