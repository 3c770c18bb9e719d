"""run-once against a real SMTP server: each e-mail exactly once, with the right content."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import update
from sqlmodel import Session, select

from clinic.followup.service import record_follow_up
from clinic.models import Assessment, DeliveryAttempt, NurseDigest, Reminder, Site
from clinic.procedures.service import move_procedure
from clinic.reminders.delivery import deliver_due, recover_abandoned, run_once
from clinic.reminders.planning import plan_digests, plan_patient_reminders
from clinic.reminders.rows import claim
from clinic.reminders.settings import reminder_settings
from tests.reminders.conftest import SEND_DAY, assessment_at, reminder_of


def test_run_once_twice_sends_each_email_exactly_once(mail_app, smtp, session, clinic):
    with time_machine.travel(SEND_DAY):
        first = run_once(mail_app)
        second = run_once(mail_app)
    assert smtp.handler.recipients() == sorted([clinic.email, clinic.nurse.email])
    assert (first.sent, second.sent) == (2, 0)
    month_1 = reminder_of(session, assessment_at(session, clinic.patient, "month_1"))
    assert (month_1.state, month_1.attempts) == ("sent", 1)
    digest = session.exec(select(NurseDigest)).one()
    assert (digest.state, digest.summary) == ("sent", "2 due")
    assert len(session.exec(select(DeliveryAttempt)).all()) == 2


def test_patient_email_names_only_the_visit_date(mail_app, smtp, session, clinic):
    with time_machine.travel(SEND_DAY):
        run_once(mail_app)
    [message] = smtp.handler.to(clinic.email)
    reminder = reminder_of(session, assessment_at(session, clinic.patient, "month_1"))
    assert message["Message-ID"] == f"<reminder-{reminder.id}@clinic.test>"
    assert message["Subject"] == "Reminder: your follow-up visit on 2026-02-14"
    body = message.get_content()
    assert "2026-02-14" in body
    for clinical in ("DEMO", clinic.patient.study_code, "1 month", "VAS", "ODI", "fluoro"):
        assert clinical not in body
    assert "arrange another date." in body  # no contact configured: no empty one
    site = session.get(Site, clinic.patient.site_id)
    assert f"visit with {site.name} on" in body  # from someone: the patient's clinic
    assert "cannot come" not in body  # a visit may be a telephone call


def test_patient_email_gives_the_clinics_contact_when_configured(mail_app, smtp, session,
                                                                 clinic):
    """Found trying the demo as a new user would: the e-mail named no way to reach the
    clinic, which the patient's web page does (CLINIC_CONTACT)."""
    mail_app.config["CLINIC_CONTACT"] = "+44 20 7946 0000"
    with time_machine.travel(SEND_DAY):
        run_once(mail_app)
    [message] = smtp.handler.to(clinic.email)
    assert "arrange another date: +44 20 7946 0000." in message.get_content()


def test_nurse_digest_lists_study_codes_not_identities(mail_app, smtp, session, clinic):
    with time_machine.travel(SEND_DAY):
        run_once(mail_app)
    [message] = smtp.handler.to(clinic.nurse.email)
    digest = session.exec(select(NurseDigest)).one()
    assert message["Message-ID"] == f"<digest-{digest.id}@clinic.test>"
    body = message.get_content()
    assert clinic.patient.study_code in body and clinic.other.study_code in body
    assert "window 2026-02-07 to 2026-02-21 (target 2026-02-14) | due" in body
    assert "contact: phone, e-mail" in body
    assert "their contact details are on their pages in the app" in body
    # a code that does not start with the study's keeps the study beside it
    assert f"DEMO {clinic.patient.study_code} | 1 month" in body
    for identifying in (clinic.email, "Test Patient", "+00 1"):
        assert identifying not in body


def test_completed_assessment_sends_nothing(mail_app, smtp, session, clinic):
    record_follow_up(session, assessment=assessment_at(session, clinic.patient, "month_1"),
                     entries={"vas": 2}, mode="phone", actor_id=None)
    session.commit()
    with time_machine.travel(SEND_DAY):
        run_once(mail_app)
    assert smtp.handler.to(clinic.email) == []


def test_moved_procedure_sends_on_the_new_date(mail_app, smtp, session, clinic):
    move_procedure(session, patient=clinic.patient, procedure=clinic.procedure,
                   performed_at=datetime(2026, 1, 20, 9, 0, tzinfo=UTC),
                   timezone="Europe/Berlin")
    session.commit()
    with time_machine.travel(SEND_DAY):  # the old send day: the visit is now 02-19
        run_once(mail_app)
    assert smtp.handler.to(clinic.email) == []
    with time_machine.travel(SEND_DAY + timedelta(days=5)):
        run_once(mail_app)
    [message] = smtp.handler.to(clinic.email)
    assert message["Subject"] == "Reminder: your follow-up visit on 2026-02-19"


def test_withdrawn_consent_at_send_time_cancels(mail_app, smtp, session, clinic):
    from clinic.models import PatientIdentity

    identity = session.exec(select(PatientIdentity).where(
        PatientIdentity.patient_id == clinic.patient.id)).one()
    identity.reminder_consent = False
    session.add(identity)
    session.commit()
    with time_machine.travel(SEND_DAY):
        report = run_once(mail_app)
    assert smtp.handler.to(clinic.email) == []
    assert report.sent == 1  # the digest only
    reminder = reminder_of(session, assessment_at(session, clinic.patient, "month_1"))
    assert (reminder.state, reminder.note) == ("cancelled", "no consent to e-mail reminders")


def test_concurrent_deliveries_claim_each_row_once(mail_app, smtp, session, clinic):
    today = SEND_DAY.date()
    plan_patient_reminders(session, today=today, days_before=3)
    plan_digests(session, today=today)
    session.commit()
    barrier = threading.Barrier(4)
    reports = []

    def worker() -> None:
        barrier.wait()
        reports.append(deliver_due(mail_app))

    with time_machine.travel(SEND_DAY):
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert smtp.handler.recipients() == sorted([clinic.email, clinic.nurse.email])
    assert sum(r.sent for r in reports) == 2


def test_abandoned_claim_becomes_unknown_and_is_not_resent(mail_app, smtp, session, clinic):
    reminder = reminder_of(session, assessment_at(session, clinic.patient, "month_1"))
    with time_machine.travel(SEND_DAY) as traveller:
        with Session(session.get_bind()) as crashed:  # a process that claims, then dies
            assert claim(crashed, Reminder, reminder.id, datetime.now(UTC)) is not None
            crashed.commit()
        run_once(mail_app)
        assert smtp.handler.to(clinic.email) == []  # still within the lease: left alone
        traveller.shift(timedelta(minutes=16))
        settings = reminder_settings(mail_app.config)
        with Session(session.get_bind()) as other:
            assert recover_abandoned(other, settings) == 1
        run_once(mail_app)
    assert smtp.handler.to(clinic.email) == []
    row = reminder_of(session, assessment_at(session, clinic.patient, "month_1"))
    assert row.state == "unknown"
    outcomes = session.exec(select(DeliveryAttempt.outcome).where(
        DeliveryAttempt.reminder_id == reminder.id)).all()
    assert outcomes == ["unknown"]


def test_connection_lost_after_data_is_unknown_not_resent(mail_app, smtp, session, clinic):
    smtp.handler.hang_up = True
    with time_machine.travel(SEND_DAY) as traveller:
        report = run_once(mail_app)
        smtp.handler.hang_up = False
        traveller.shift(timedelta(hours=1))
        again = run_once(mail_app)
    assert (report.unknown, again.sent, smtp.handler.dropped) == (2, 0, 2)
    assert smtp.handler.messages == []
    row = reminder_of(session, assessment_at(session, clinic.patient, "month_1"))
    assert row.state == "unknown"
    assert row.last_error.startswith("connection lost after the whole message was sent")


def test_the_claim_itself_refuses_a_completed_assessment(mail_app, smtp, session, clinic):
    """Even if no hook ran (another program changed the row), the claim's WHERE re-checks."""
    month_1 = assessment_at(session, clinic.patient, "month_1")
    with session.get_bind().begin() as connection:
        connection.execute(update(Assessment.__table__).where(
            Assessment.__table__.c.id == month_1.id).values(
            state="completed", completed_at=datetime(2026, 2, 10, 9, 0, tzinfo=UTC)))
    with time_machine.travel(SEND_DAY):
        assert deliver_due(mail_app).sent == 0  # no planning: the claim refuses it
        assert reminder_of(session, month_1).state == "pending"
        run_once(mail_app)  # planning cancels it; the digest goes out
    assert smtp.handler.recipients() == [clinic.nurse.email]
    assert reminder_of(session, month_1).state == "cancelled"
