"""A reminder already e-mailed, then the visit moves: staff are told to tell the patient."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine

from clinic.followup.service import record_follow_up
from clinic.procedures.service import move_procedure
from clinic.reminders.delivery import run_once
from clinic.reminders.queries import OldDateNotice, told_an_old_date
from tests.reminders.conftest import SEND_DAY, assessment_at
from tests.reminders.test_page import login


def _send_then_move(mail_app, session, clinic) -> None:
    with time_machine.travel(SEND_DAY):  # the 1-month reminder names 2026-02-14
        run_once(mail_app)
    move_procedure(session, patient=clinic.patient, procedure=clinic.procedure,
                   performed_at=datetime(2026, 1, 20, 9, 0, tzinfo=UTC),
                   timezone="Europe/Berlin")  # the visit is now 2026-02-19
    session.commit()


def test_the_moved_visit_is_listed_and_the_patient_not_emailed_twice(mail_app, smtp, session,
                                                                     clinic):
    _send_then_move(mail_app, session, clinic)
    assert told_an_old_date(session) == [OldDateNotice(
        clinic.patient.id, clinic.patient.study_code, "1 month", date(2026, 2, 14),
        date(2026, 2, 19))]
    with time_machine.travel(SEND_DAY + timedelta(days=1)):
        run_once(mail_app)
    assert len(smtp.handler.to(clinic.email)) == 1
    digests = smtp.handler.to(clinic.nurse.email)
    assert len(digests) == 2
    body = digests[1].get_content()
    assert "Told an old date" not in digests[0].get_content()
    assert (f"{clinic.patient.study_code} | 1 month | e-mail said 2026-02-14 | now 2026-02-19"
            in body)


def test_staff_see_it_on_the_reminders_and_patient_pages(mail_app, smtp, client, session,
                                                        clinic):
    _send_then_move(mail_app, session, clinic)
    login(client, session, "coordinator")
    page = client.get("/reminders/").get_data(as_text=True)
    assert 'id="old-dates"' in page and "2026-02-19" in page
    patient_page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert "The reminder e-mail told this patient <strong>2026-02-14</strong>" in patient_page


def test_the_notice_ends_when_the_follow_up_is_recorded(mail_app, smtp, session, clinic):
    _send_then_move(mail_app, session, clinic)
    record_follow_up(session, assessment=assessment_at(session, clinic.patient, "month_1"),
                     entries={"vas": 3}, mode="phone", actor_id=None)
    session.commit()
    assert told_an_old_date(session) == []
