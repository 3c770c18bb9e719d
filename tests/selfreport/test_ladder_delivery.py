"""The ladder through the real delivery: invitation when the window opens, reminders on
their days, nothing after completion, not done, withdrawal, consent withdrawn or the
window's close; re-planned when the procedure moves; each message at most once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from clinic.enrollment.inputs import IdentityInput
from clinic.enrollment.service import withdraw
from clinic.followup.service import mark_not_done, record_follow_up
from clinic.models import (
    DeliveryAttempt,
    Enrollment,
    PatientIdentity,
    Procedure,
    Reminder,
    SelfReportMessage,
)
from clinic.patients.identity import update_identity
from clinic.procedures.service import move_procedure
from clinic.reminders.delivery import run_once
from clinic.selfreport.ladder import LadderSpec
from clinic.selfreport.status import worklist_notes
from tests.selfreport.conftest import (
    CLOSES,
    OPENS,
    assessment_at,
    at,
    links,
    messages_of,
    run_on,
)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_the_ladder_sends_the_invitation_and_two_reminders_each_once(
        mail_app, smtp, session, clinic, month_1):
    for day in _days(OPENS - timedelta(days=2), CLOSES + timedelta(days=3)):
        run_on(mail_app, day)
        run_on(mail_app, day)  # a second run the same day sends nothing new
    sent = messages_of(session, month_1)
    assert [(m.step, m.state, m.send_on) for m in sent] == [
        (0, "sent", date(2026, 2, 7)), (1, "sent", date(2026, 2, 10)),
        (2, "sent", date(2026, 2, 14))]
    mails = smtp.handler.to(clinic.email)
    assert len(mails) == 3
    assert mails[0]["Subject"] == "Your follow-up questionnaire (1 month after your treatment)"
    assert [m["Subject"] for m in mails[1:]] == ["Reminder: your follow-up questionnaire"] * 2
    assert len(set(links(smtp, clinic.email))) == 3  # a fresh link in each e-mail
    body = mails[0].get_content()
    assert "Test" in body and "DEMO" not in body and "ct" not in body.lower().split()
    attempts = session.exec(select(DeliveryAttempt).where(
        DeliveryAttempt.channel == "self_report")).all()
    assert sorted(a.invitation_id for a in attempts) == sorted(m.id for m in sent)
    # the patient visit reminder is not sent to a patient who answers by link
    reminder = session.exec(select(Reminder).where(
        Reminder.assessment_id == month_1.id)).first()
    assert reminder is None or reminder.state == "cancelled"


def test_completion_by_a_nurse_stops_the_ladder(mail_app, smtp, session, clinic, month_1):
    run_on(mail_app, OPENS)
    with at(OPENS + timedelta(days=1), 10):
        record_follow_up(session, assessment=month_1, entries={"vas": 3}, mode="phone",
                         actor_id=clinic.nurse.id)
        session.commit()
    for day in _days(OPENS + timedelta(days=1), CLOSES):
        run_on(mail_app, day)
    assert [m.step for m in messages_of(session, month_1)] == [0]
    assert len(smtp.handler.to(clinic.email)) == 1


def test_not_done_stops_the_ladder_and_cancels_what_was_due(mail_app, smtp, session, clinic,
                                                            month_1):
    run_on(mail_app, OPENS)
    with at(date(2026, 2, 10), 6):  # before the day's run: reminder 1 planned, not sent
        from clinic.selfreport.planning import plan_self_report
        plan_self_report(session, today=date(2026, 2, 10))
        session.commit()
        mark_not_done(session, assessment=month_1, reason="patient in hospital", actor_id=None)
        session.commit()
    for day in _days(date(2026, 2, 10), CLOSES):
        run_on(mail_app, day)
    rows = messages_of(session, month_1)
    assert [(m.step, m.state) for m in rows] == [(0, "sent"), (1, "cancelled")]
    assert rows[1].note == "follow-up not done"
    assert len(smtp.handler.to(clinic.email)) == 1


def test_withdrawal_stops_every_ladder_of_the_patient(mail_app, smtp, session, clinic,
                                                      month_1):
    run_on(mail_app, OPENS)
    enrollment = session.exec(select(Enrollment).where(
        Enrollment.patient_id == clinic.patient.id)).one()
    with at(OPENS, 12):
        withdraw(session, enrollment=enrollment, reason="moved away", actor_id=None)
        session.commit()
    for day in _days(OPENS + timedelta(days=1), date(2026, 8, 20)):
        run_on(mail_app, day)
    assert len(smtp.handler.to(clinic.email)) == 1
    month_3 = assessment_at(session, clinic.patient, "month_3")
    assert messages_of(session, month_3) == []


def test_withdrawn_consent_stops_the_ladder_and_the_link(mail_app, smtp, session, clinic,
                                                         month_1, client):
    run_on(mail_app, OPENS)
    [token] = links(smtp, clinic.email)
    identity = session.exec(select(PatientIdentity).where(
        PatientIdentity.patient_id == clinic.patient.id)).one()
    with at(OPENS, 12):
        update_identity(session, patient=clinic.patient, read_version=identity.version,
                        reason="patient asked to stop the e-mails",
                        data=IdentityInput(name=identity.name, email=identity.email,
                                           phone=identity.phone, self_report_consent=False,
                                           birth_date=identity.birth_date))
        session.commit()
        assert client.get(f"/r/{token}").status_code == 410
    for day in _days(OPENS + timedelta(days=1), CLOSES):
        run_on(mail_app, day)
    assert len(smtp.handler.to(clinic.email)) == 1


def test_nothing_goes_out_after_the_window_closes(mail_app, smtp, session, clinic, month_1,
                                                  client):
    """A run missed for days: on the day after the close, the late steps are not sent."""
    run_on(mail_app, OPENS)
    [token] = links(smtp, clinic.email)
    report = run_on(mail_app, CLOSES + timedelta(days=1))
    assert report.sent == 0
    assert [m.step for m in messages_of(session, month_1)] == [0]
    with at(CLOSES + timedelta(days=1), 9):
        page = client.get(f"/r/{token}")
    assert page.status_code == 410 and "closed" in page.get_data(as_text=True)


def test_a_moved_procedure_moves_the_ladder(mail_app, smtp, session, clinic, month_1):
    procedure = session.exec(select(Procedure).where(
        Procedure.patient_id == clinic.patient.id)).one()
    with at(date(2026, 1, 20), 9):
        move_procedure(session, patient=clinic.patient, procedure=procedure,
                       performed_at=datetime(2026, 1, 25, 9, 30, tzinfo=UTC),
                       timezone="Europe/Berlin")
        session.commit()
    for day in _days(OPENS, date(2026, 2, 17)):
        run_on(mail_app, day)
    session.refresh(month_1)
    assert month_1.window_open == date(2026, 2, 17)
    assert [(m.step, m.send_on) for m in messages_of(session, month_1)] == [
        (0, date(2026, 2, 17))]


def test_a_late_move_cancels_a_step_not_sent_and_plans_it_again(mail_app, smtp, session,
                                                                 clinic, month_1):
    from clinic.selfreport.planning import plan_self_report

    with at(OPENS, 6):
        plan_self_report(session, today=OPENS)  # the invitation row exists, not sent
        session.commit()
        procedure = session.exec(select(Procedure).where(
            Procedure.patient_id == clinic.patient.id)).one()
        move_procedure(session, patient=clinic.patient, procedure=procedure,
                       performed_at=datetime(2026, 1, 18, 9, 30, tzinfo=UTC),
                       timezone="Europe/Berlin")
        session.commit()
    [row] = messages_of(session, month_1)
    assert (row.state, row.note) == ("cancelled", "window not open yet (re-planned)")
    run_on(mail_app, OPENS)
    assert smtp.handler.to(clinic.email) == []
    run_on(mail_app, date(2026, 2, 10))
    [row] = messages_of(session, month_1)
    assert (row.state, row.send_on, row.attempts) == ("sent", date(2026, 2, 10), 1)


def test_a_refused_address_is_not_retried_and_the_nurse_is_told_to_call(
        mail_app, smtp, session, clinic, month_1):
    smtp.handler.refuse_rcpt[clinic.email] = "550 5.1.1 No such user"
    run_on(mail_app, OPENS)
    [row] = messages_of(session, month_1)
    assert row.state == "failed" and "550" in (row.last_error or "")
    assert row.token_hash is not None  # stored before sending, as for every message
    notes = worklist_notes(session, [month_1.id], OPENS)  # the call comes at once
    assert notes[month_1.id] == ("Link e-mail not delivered: call the patient", True)


def test_the_paper_call_list_holds_the_visits_the_worklist_says_to_call(
        mail_app, smtp, session, clinic, month_1, client):
    """Found trying the screens as a new user would: a self-report visit whose link
    was not delivered showed "call the patient" on the worklist, but its window was
    simply open (not due, not closing), and the printed call list left it out."""
    from tests.pdf import pdf_text
    from tests.web.helpers import login

    smtp.handler.refuse_rcpt[clinic.email] = "550 5.1.1 No such user"
    run_on(mail_app, OPENS)
    assert month_1.window_open == OPENS < month_1.target_date  # "Due (window open)"
    login(client, clinic.nurse)
    with at(OPENS, 9):
        text = " ".join(pdf_text(client.get(f"/worklist/calls.pdf?day={OPENS}").data).split())
    assert clinic.patient.study_code in text
    assert "Due (window open)" in text and "Link e-mail not delivered: call the patient" in text


def test_the_worklist_says_waiting_then_call(mail_app, smtp, session, clinic, month_1):
    run_on(mail_app, OPENS)
    note, call = worklist_notes(session, [month_1.id], date(2026, 2, 8))[month_1.id]
    assert note == "Link sent 2026-02-07; not opened yet (call from 2026-02-17)" and not call
    assert worklist_notes(session, [month_1.id], date(2026, 2, 17))[month_1.id] == (
        "No answer to the link: call the patient", True)


def test_a_link_never_sent_is_not_called_unanswered(mail_app, smtp, session, clinic,
                                                   month_1):
    """Found trying the screens as a new user would: with no e-mail ever sent (the
    sender not run, as in a fresh demo), the worklist said "No answer to the link"."""
    assert not smtp.handler.messages  # nothing was sent for this visit
    assert worklist_notes(session, [month_1.id], date(2026, 2, 17))[month_1.id] == (
        "No link was e-mailed: call the patient", True)


def test_the_token_is_stored_only_as_its_hash(mail_app, smtp, session, clinic, month_1,
                                              client):
    """No column of any table holds the token in clear, after sending and using it."""
    run_on(mail_app, OPENS)
    [token] = links(smtp, clinic.email)
    with at(OPENS, 9):
        client.get(f"/r/{token}")
        client.post(f"/r/{token}/q/1", data={"answer": "4", "action": "next"})
    from sqlalchemy import String, Text
    from sqlmodel import SQLModel

    connection = session.connection()
    for table in SQLModel.metadata.sorted_tables:
        texts = [c for c in table.columns if isinstance(c.type, String | Text)
                 or c.type.__class__.__name__ == "JSON"]
        for column in texts:
            values = connection.execute(select(column)).scalars().all()
            assert not any(token in str(v) for v in values if v is not None), (
                table.name, column.name)
    assert session.exec(select(SelfReportMessage.token_hash)).one() is not None


def test_two_runs_at_once_send_each_message_once(mail_app, smtp, session, clinic, month_1):
    import threading

    reports = []

    def one() -> None:
        with at(OPENS):
            reports.append(run_once(mail_app))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(smtp.handler.to(clinic.email)) == 1
    assert [(m.step, m.state, m.attempts) for m in messages_of(session, month_1)] == [
        (0, "sent", 1)]
    assert len(session.exec(select(DeliveryAttempt).where(
        DeliveryAttempt.channel == "self_report")).all()) == 1


def test_a_first_run_late_in_the_window_sends_one_invitation_not_every_missed_step(
        mail_app, smtp, session, clinic, month_1):
    run_on(mail_app, date(2026, 2, 15))  # days 0, 3 and 7 of the ladder have all passed
    [mail] = smtp.handler.to(clinic.email)
    assert mail["Subject"].startswith("Your follow-up questionnaire")  # worded as the first
    assert [(m.step, m.state) for m in messages_of(session, month_1)] == [(2, "sent")]
    run_on(mail_app, date(2026, 2, 16))
    assert len(smtp.handler.to(clinic.email)) == 1


def test_a_step_left_unsent_is_superseded_by_the_next_one(mail_app, smtp, session, clinic,
                                                          month_1):
    from clinic.selfreport.planning import plan_self_report

    with at(date(2026, 2, 10), 6):
        plan_self_report(session, today=date(2026, 2, 10))  # step 1 planned, mail server down
        session.commit()
    run_on(mail_app, date(2026, 2, 14))
    rows = messages_of(session, month_1)
    assert [(m.step, m.state, m.note) for m in rows] == [
        (1, "cancelled", "superseded by a later step"), (2, "sent", None)]


def test_an_invitation_planned_and_not_sent_yet_is_the_link_planned(mail_app, session,
                                                                   clinic, month_1):
    """Found trying the screens as a new user would: with the invitation planned for the
    day the window opens (not sent yet), the worklist said the link was planned for the
    first reminder's day, after the visit's target."""
    from clinic.selfreport.planning import plan_self_report

    with at(OPENS, 6):
        plan_self_report(session, today=OPENS)
        session.commit()
    assert [(m.step, m.state) for m in messages_of(session, month_1)] == [(0, "pending")]
    assert worklist_notes(session, [month_1.id], OPENS)[month_1.id] == (
        f"Link planned for {OPENS.isoformat()}", False)


def test_no_note_for_a_patient_who_did_not_consent(mail_app, smtp, session, clinic):
    from tests.factories import make_patient, make_procedure

    with at(date(2026, 1, 12), 10):
        other, _ = make_patient(session, clinic.study, self_report=False)
        make_procedure(session, other)
        session.commit()
    run_on(mail_app, OPENS)
    visit = assessment_at(session, other, "month_1")
    assert worklist_notes(session, [visit.id], date(2026, 2, 18)) == {}


def test_a_link_first_sent_late_does_not_put_the_call_off(mail_app, smtp, session, clinic,
                                                          month_1):
    """Found trying the app as a new user would: a link first sent late in the window
    put the call off to three days after it ("call from" the window's last day, or a date
    the self-report page's rule did not give). The call keeps the protocol's day; the
    note says the link went out late."""
    run_on(mail_app, date(2026, 2, 18))  # after the protocol's call day (02-17)
    note, call = worklist_notes(session, [month_1.id], date(2026, 2, 18))[month_1.id]
    assert call and note == ("Link first sent 2026-02-18 (the call day was 2026-02-17): "
                             "call the patient")


def test_the_call_leaves_two_days_of_the_window_to_call(mail_app, smtp, session, clinic,
                                                        month_1):
    """A protocol whose call day falls in the window's last two days is called two days
    before the window closes (02-19 for a window closing 02-21), as the page says."""
    from clinic.models import Study
    from tests.web.helpers import login

    study = session.get(Study, clinic.study.id)
    study.self_report = LadderSpec((0, 3, 7), 13).to_json()
    session.add(study)
    session.commit()
    run_on(mail_app, OPENS)
    note, call = worklist_notes(session, [month_1.id], date(2026, 2, 18))[month_1.id]
    assert note == "Link sent 2026-02-07; not opened yet (call from 2026-02-19)" and not call
    assert worklist_notes(session, [month_1.id], date(2026, 2, 19))[month_1.id][1]
    client = mail_app.test_client()
    login(client, clinic.nurse)
    page = " ".join(client.get(f"/studies/{study.code}/self-report").get_data(
        as_text=True).split())
    assert ("a visit still unanswered 13 days after its window opens, or 2 days before its "
            "window closes if that comes first (however late its link was sent), appears on "
            "the worklist as a call") in page


def test_a_failed_link_e_mail_is_listed_for_staff_and_sent_again_on_request(
        mail_app, smtp, session, clinic, month_1, client):
    """Found attacking the mail: a link e-mail that failed for good (an address the
    server refused) was missing from /reminders' "Needing attention", and had no Send
    again, while the visit reminders did."""
    from tests.factories import make_user
    from tests.web.helpers import login

    smtp.handler.refuse_rcpt[clinic.email] = "550 5.1.1 No such user"
    run_on(mail_app, OPENS)
    [row] = messages_of(session, month_1)
    assert row.state == "failed"
    coordinator = make_user(session, "coordinator")
    session.commit()
    login(client, coordinator)
    with at(OPENS, 9):
        page = client.get("/reminders/").get_data(as_text=True)
        assert f'data-row="self_report-{row.id}"' in page
        assert "link e-mail" in page and "invitation to answer by link" in page
        assert "Check the patient&#39;s e-mail address" in page
        sent = client.post(f"/reminders/self_report/{row.id}/send-again")
    assert sent.status_code == 302
    session.expire_all()
    assert messages_of(session, month_1)[0].state == "pending"
    del smtp.handler.refuse_rcpt[clinic.email]
    run_on(mail_app, OPENS)
    assert [m.state for m in messages_of(session, month_1)] == ["sent"]
    assert len(smtp.handler.to(clinic.email)) == 1
