"""A refusing or absent SMTP server: retry after back-off, then a visible failure."""

from __future__ import annotations

from datetime import UTC, timedelta

import time_machine
from sqlmodel import select

from clinic.models import DeliveryAttempt, NurseDigest
from clinic.reminders.delivery import run_once
from tests.factories import PASSWORD, make_user
from tests.reminders.conftest import SEND_DAY, assessment_at, free_port, reminder_of


def _month_1(session, clinic):
    return reminder_of(session, assessment_at(session, clinic.patient, "month_1"))


def test_temporary_refusal_is_retried_after_backoff(mail_app, smtp, session, clinic):
    smtp.handler.refuse = "451 4.3.0 Mailbox busy, try again later"
    with time_machine.travel(SEND_DAY) as traveller:
        report = run_once(mail_app)
        assert (report.sent, report.retrying) == (0, 2)
        row = _month_1(session, clinic)
        assert (row.state, row.attempts) == ("pending", 1)
        assert "451" in row.last_error
        wait = row.next_attempt_at - SEND_DAY  # 5 minutes after the attempt (time ticks)
        assert timedelta(minutes=5) <= wait < timedelta(minutes=5, seconds=30)
        smtp.handler.refuse = None
        held = run_once(mail_app)
        assert held.sent == 0  # backing off: not yet, and said so (a new user's finding)
        assert held.waiting == 2 and held.next_try == row.next_attempt_at.replace(tzinfo=UTC)
        assert "2 waiting for their next try after a failed attempt (the first at" in \
            held.describe()
        traveller.shift(timedelta(minutes=6))
        assert run_once(mail_app).sent == 2
        assert run_once(mail_app).sent == 0
    assert smtp.handler.refusals == 2
    assert len(smtp.handler.to(clinic.email)) == 1
    row = _month_1(session, clinic)
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, None)
    outcomes = session.exec(select(DeliveryAttempt.outcome, DeliveryAttempt.smtp_code).where(
        DeliveryAttempt.reminder_id == row.id).order_by(DeliveryAttempt.id)).all()
    assert outcomes == [("refused", 451), ("sent", 250)]


def test_temporary_errors_fail_visibly_after_max_attempts(mail_app, smtp, session, clinic,
                                                         client):
    smtp.handler.refuse = "452 4.3.1 Insufficient system storage"
    with time_machine.travel(SEND_DAY) as traveller:
        for wait in (5, 10):  # attempts 1 and 2, then back-off doubles
            run_once(mail_app)
            traveller.shift(timedelta(minutes=wait + 1))
        report = run_once(mail_app)  # attempt 3 of REMINDER_MAX_ATTEMPTS=3
    assert (report.failed, report.retrying) == (2, 0)
    row = _month_1(session, clinic)
    assert (row.state, row.attempts, row.next_attempt_at) == ("failed", 3, None)
    assert smtp.handler.messages == [] and smtp.handler.refusals == 6
    make_user(session, "coordinator", email="coord@test.invalid")
    session.commit()
    client.post("/login", data={"email": "coord@test.invalid", "password": PASSWORD})
    page = client.get("/reminders/").get_data(as_text=True)
    assert page.count('data-state="failed"') == 2
    assert page.count('data-outcome="refused"') == 6
    assert "452 4.3.1 Insufficient system storage" in page and "FAILED" in page
    assert "Failed: every attempt went wrong" in page


def test_permanent_refusal_fails_at_once(mail_app, smtp, session, clinic):
    smtp.handler.refuse = "550 5.1.1 No such user"
    with time_machine.travel(SEND_DAY) as traveller:
        report = run_once(mail_app)
        traveller.shift(timedelta(hours=1))
        again = run_once(mail_app)
    assert (report.failed, report.retrying, again.sent, again.failed) == (2, 0, 0, 0)
    row = _month_1(session, clinic)
    assert (row.state, row.attempts, row.next_attempt_at) == ("failed", 1, None)
    assert smtp.handler.messages == [] and smtp.handler.refusals == 2


def test_staff_can_send_a_failed_reminder_again(mail_app, smtp, session, clinic, client):
    smtp.handler.refuse = "550 5.1.1 No such user"
    mail_app.config["REMINDER_MAX_ATTEMPTS"] = 1
    with time_machine.travel(SEND_DAY) as traveller:
        run_once(mail_app)
        row = _month_1(session, clinic)
        assert row.state == "failed"
        smtp.handler.refuse = None
        make_user(session, "admin", email="admin@test.invalid")
        session.commit()
        client.post("/login", data={"email": "admin@test.invalid", "password": PASSWORD})
        response = client.post(f"/reminders/reminder/{row.id}/send-again")
        assert response.status_code == 302
        traveller.shift(timedelta(minutes=1))
        run_once(mail_app)
        run_once(mail_app)
    assert len(smtp.handler.to(clinic.email)) == 1
    assert _month_1(session, clinic).state == "sent"


def test_no_server_listening_is_an_error_retried_later(mail_app, smtp, session, clinic):
    mail_app.config["SMTP_PORT"] = free_port()  # nothing listens there
    with time_machine.travel(SEND_DAY) as traveller:
        report = run_once(mail_app)
        assert (report.retrying, report.deferred) == (1, 1)  # the digest was not tried
        assert "mail server unreachable" in (report.server_problem or "")
        row = _month_1(session, clinic)
        assert row.state == "pending" and "ConnectionRefusedError" in row.last_error
        mail_app.config["SMTP_PORT"] = smtp.port
        traveller.shift(timedelta(minutes=6))
        assert run_once(mail_app).sent == 2
    digest = session.exec(select(NurseDigest)).one()
    session.refresh(digest)
    assert (digest.state, digest.attempts) == ("sent", 1)  # deferral used no attempt
    assert len(smtp.handler.messages) == 2


def test_a_digest_not_sent_on_its_day_is_superseded(mail_app, smtp, session, clinic):
    smtp.handler.refuse = "451 4.3.0 later"
    with time_machine.travel(SEND_DAY) as traveller:
        run_once(mail_app)
        smtp.handler.refuse = None
        traveller.shift(timedelta(days=1))
        run_once(mail_app)
    digests = session.exec(select(NurseDigest).order_by(NurseDigest.digest_date)).all()
    for digest in digests:
        session.refresh(digest)
    assert [(d.digest_date.isoformat(), d.state) for d in digests] == [
        ("2026-02-11", "cancelled"), ("2026-02-12", "sent")]
    assert len(smtp.handler.to(clinic.nurse.email)) == 1
