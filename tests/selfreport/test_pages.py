"""The patient's pages without a browser: the whole path, resuming, the clear pages for
links that do not work, the date-of-birth check with its lock, no cookie, no leak."""

from __future__ import annotations

import logging
import secrets
import threading
import urllib.request
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select
from werkzeug.serving import make_server

from clinic.models import Assessment, SelfReport, SelfReportEvent
from clinic.selfreport.tokens import new_token
from tests.selfreport.conftest import OPENS, at, build, links, run_on


@pytest.fixture
def token(mail_app, smtp, clinic) -> str:
    run_on(mail_app, OPENS)
    [found] = links(smtp, clinic.email)
    return found


def _answer_all(client, token: str, upto: int = 12) -> None:
    client.post(f"/r/{token}/q/1", data={"answer": "6", "action": "next"})
    for n in range(2, min(upto, 11) + 1):
        client.post(f"/r/{token}/q/{n}", data={"answer": "2", "action": "next"})
    if upto >= 12:
        client.post(f"/r/{token}/q/12", data={"answer": "very_satisfied", "action": "next"})


def test_the_patient_answers_reviews_and_sends(client, session, month_1, token):
    with at(OPENS, 19):
        start = client.get(f"/r/{token}")
        text = start.get_data(as_text=True)
        assert start.status_code == 200 and "Hello Test," in text
        assert "12 short questions" in text and "Set-Cookie" not in start.headers
        assert start.headers["Cache-Control"] == "no-store"
        assert start.headers["Referrer-Policy"] == "no-referrer"
        question = client.get(f"/r/{token}/q/2").get_data(as_text=True)
        assert "Question 2 of 12" in question and "I have no pain at the moment." in question
        assert "Pain intensity: which sentence fits you best right now?" in question
        _answer_all(client, token)
        review = client.get(f"/r/{token}/review").get_data(as_text=True)
        assert "Very satisfied" in review and "The pain is moderate at the moment." in review
        change = client.get(f"/r/{token}/q/1?then=review").get_data(as_text=True)
        assert "Save and go back to the review" in change
        back = client.post(f"/r/{token}/q/1", data={"answer": "5,5", "then": "review"})
        assert back.location.endswith(f"/r/{token}/review")
        assert "5.5" in client.get(f"/r/{token}/review").get_data(as_text=True)
        sent = client.post(f"/r/{token}/review")
        assert sent.status_code == 302 and sent.location.endswith(f"/r/{token}/thanks")
        assert "Thank you" in client.get(f"/r/{token}/thanks").get_data(as_text=True)
        again = client.get(f"/r/{token}")
        assert again.status_code == 410 and "We already have your answers" in again.get_data(
            as_text=True)
    session.refresh(month_1)
    assert (month_1.state, month_1.mode, month_1.visit_on) == ("completed", "self_report",
                                                               OPENS)
    assert month_1.completed_by_id is None  # the link asks no medication: said why
    assert month_1.missing_reason == ("NSAID reduction, Opioids (oral morphine equivalents): "
                                      "not asked by the self-report link")


def test_answers_are_kept_when_the_link_is_opened_again(client, session, month_1, token):
    with at(OPENS, 19):
        _answer_all(client, token, upto=4)
        resumed = client.get(f"/r/{token}").get_data(as_text=True)
        assert "You have answered 4 of 12 questions" in resumed
        assert f"/r/{token}/q/5" in resumed  # continue where it stopped
        assert 'value="2" checked' in client.get(f"/r/{token}/q/3").get_data(as_text=True)
    report = session.exec(select(SelfReport).where(SelfReport.assessment_id == month_1.id)).one()
    assert len(report.answers) == 4 and report.submitted_at is None
    session.refresh(month_1)
    assert month_1.state == "pending"  # partial answers are never a completed visit


def test_back_and_skip_and_an_invalid_answer(client, session, month_1, token):
    with at(OPENS, 19):
        wrong = client.post(f"/r/{token}/q/1", data={"answer": "12", "action": "next"})
        assert wrong.status_code == 422
        assert "Please enter a number from 0 to 10" in wrong.get_data(as_text=True)
        assert client.post(f"/r/{token}/q/2", data={"action": "skip"}).location.endswith("/q/3")
        assert client.post(f"/r/{token}/q/3", data={"action": "back"}).location.endswith("/q/2")
        none_chosen = client.post(f"/r/{token}/q/4", data={"action": "next"})
        assert none_chosen.status_code == 422
        nothing = client.post(f"/r/{token}/review")
        assert nothing.status_code == 422 and "at least one question" in nothing.get_data(
            as_text=True)
        client.post(f"/r/{token}/q/1", data={"answer": "3", "action": "next"})
        assert client.post(f"/r/{token}/review").status_code == 302
    session.refresh(month_1)
    assert month_1.missing_reason == (
        "not answered by the patient (self-report by link); NSAID reduction, Opioids (oral "
        "morphine equivalents): not asked by the self-report link")


def test_a_refused_request_answers_the_patient_in_the_patients_words(client, month_1, token):
    """Found attacking the links: a NUL in an answer, or an answer sent twice, showed the
    staff's error page ("Back to the studies") to the patient."""
    with at(OPENS, 19):
        for body in ("answer=4%00&action=next", "answer=4&answer=5&action=next"):
            refused = client.post(f"/r/{token}/q/1", data=body,
                                  content_type="application/x-www-form-urlencoded")
            assert refused.status_code in (400, 422)
            text = refused.get_data(as_text=True)
            assert "Your answer could not be read" in text and "type the answer again" in text
            assert "studies" not in text and "Log out" not in text


def test_a_nurse_recording_the_visit_first_ends_the_link(client, session, clinic, month_1,
                                                         token):
    from clinic.followup.service import record_follow_up

    with at(OPENS, 19):
        _answer_all(client, token, upto=3)
        record_follow_up(session, assessment=month_1, entries={"vas": 2}, mode="phone",
                         actor_id=clinic.nurse.id)
        session.commit()
        late = client.post(f"/r/{token}/review")
        assert late.status_code == 410
        # found re-checking the links: it said "We already have your answers", which
        # were not kept; the clinic recorded the visit
        text = late.get_data(as_text=True)
        assert "This questionnaire is closed" in text and "already have" not in text
    session.refresh(month_1)
    assert month_1.mode == "phone"


@pytest.mark.parametrize("path", ["", "/q/1", "/review", "/check", "/thanks"])
def test_forged_links_get_a_clear_page_and_a_way_to_reach_the_clinic(client, path):
    for forged in (new_token(), "short", "A" * 200, "%00", "..%2F..%2Fetc", "é" * 32):
        page = client.get(f"/r/{forged}{path}")
        assert page.status_code in (302, 404), (forged, path)
        if page.status_code == 404:
            assert "This link does not work" in page.get_data(as_text=True)
            assert "Please call your clinic" in page.get_data(as_text=True)
    assert client.post(f"/r/{new_token()}/review").status_code == 404


def test_a_link_before_its_window_says_when_it_opens(mail_app, smtp, session, client, clinic):
    run_on(mail_app, OPENS)
    [token] = links(smtp, clinic.email)
    month_1 = session.exec(select(Assessment).where(Assessment.id == session.exec(
        select(Assessment.id).where(Assessment.patient_id == clinic.patient.id)
        .order_by(Assessment.target_date)).all()[3])).one()
    month_1.window_open = OPENS + timedelta(days=2)  # as after a procedure moved later
    session.add(month_1)
    session.commit()
    with at(OPENS, 10):
        page = client.get(f"/r/{token}")
    assert page.status_code == 403 and "2026-02-09" in page.get_data(as_text=True)


def test_a_known_link_with_a_wrong_path_answers_in_the_patient_language(mail_app, smtp,
                                                                        session, client):
    with at(date(2026, 1, 12), 10):
        spanish = build(session, language="es")
    run_on(mail_app, OPENS)
    token = links(smtp, spanish.email)[0]
    with at(OPENS, 10):
        page = client.get(f"/r/{token}/q/abc")
    text = page.get_data(as_text=True)
    assert page.status_code == 404 and "Este enlace no funciona" in text
    assert text.count("Llame a su clínica") == 1


@pytest.mark.slow
def test_ten_thousand_random_tokens_find_nothing(client, session, token):
    """10,000 guesses of the right shape looked up as the pages do, 1,000 of them over
    HTTP (the whole request path): none opens anything."""
    from clinic.selfreport.service import resolve

    with at(OPENS, 10):
        for _ in range(10_000):
            assert resolve(session, secrets.token_urlsafe(24), OPENS).state == "unknown"
        for _ in range(1_000):
            assert client.get(f"/r/{secrets.token_urlsafe(24)}").status_code == 404
        assert client.get(f"/r/{token}").status_code == 200  # the real one still works


def test_the_spanish_patient_reads_spanish(mail_app, smtp, session, client):
    with at(date(2026, 1, 12), 10):
        spanish = build(session, language="es")
    run_on(mail_app, OPENS)
    [mail] = smtp.handler.to(spanish.email)
    assert mail["Subject"] == "Su cuestionario de seguimiento (1 mes después del tratamiento)"
    token = links(smtp, spanish.email)[0]
    with at(OPENS, 10):
        page = client.get(f"/r/{token}/q/2").get_data(as_text=True)
    assert '<html lang="es">' in page and "Ahora mismo no tengo dolor." in page


def test_the_birth_year_check_locks_after_five_wrong_tries(mail_app, smtp, session, client):
    with at(date(2026, 1, 12), 10):
        checked = build(session, second_factor="birth_year", birth_date=date(1961, 5, 4))
    run_on(mail_app, OPENS)
    [token] = links(smtp, checked.email)
    with at(OPENS, 10):
        assert client.get(f"/r/{token}/q/1").location.endswith(f"/r/{token}/check")
        for left in (4, 3, 2, 1):
            wrong = client.post(f"/r/{token}/check", data={"year": "1962"})
            assert wrong.status_code == 422
            assert f"You can try {left} more times" in wrong.get_data(as_text=True)
        locked = client.post(f"/r/{token}/check", data={"year": "1962"})
        assert locked.status_code == 429 and "Too many tries" in locked.get_data(as_text=True)
        right_but_locked = client.post(f"/r/{token}/check", data={"year": "1961"})
        assert right_but_locked.status_code == 429
    with at(OPENS, 11):  # 15 minutes later it opens again
        passed = client.post(f"/r/{token}/check", data={"year": "1961"})
        assert passed.status_code == 302
        assert "clinic_self_report=" in passed.headers["Set-Cookie"]
        assert "Path=/r/" in passed.headers["Set-Cookie"]
        assert client.get(f"/r/{token}/q/1").status_code == 200
    kinds = [e.kind for e in session.exec(select(SelfReportEvent).order_by(SelfReportEvent.id))]
    assert kinds.count("check_failed") == 5 and kinds.count("locked") == 1


def test_no_patient_is_invited_without_the_date_of_birth_the_check_needs(mail_app, smtp,
                                                                         session):
    with at(date(2026, 1, 12), 10):
        unknown = build(session, second_factor="birth_date", birth_date=None)
    run_on(mail_app, OPENS)
    assert smtp.handler.to(unknown.email) == []


def test_the_token_never_reaches_the_access_log(app, mail_app, smtp, clinic, caplog):
    run_on(mail_app, OPENS)
    [token] = links(smtp, clinic.email)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"), at(OPENS, 10):
            for path in ("", "/q/1", "/review"):
                with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/r/{token}{path}"):
                    pass
    finally:
        server.shutdown()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len(lines) >= 3 and any("/r/[link]" in line for line in lines)
    assert not any(token in line for line in lines)
    assert token not in caplog.text


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=st.integers(min_value=-3, max_value=20),
       answer=st.one_of(st.text(max_size=60), st.sampled_from(["4", "skip", "very_satisfied",
                                                               "5", "10.0", "1e308"])),
       action=st.sampled_from(["next", "back", "skip", "", "x" * 50]))
def test_fuzzed_answers_never_fail_and_only_valid_answers_are_kept(client, session, month_1,
                                                                   token, number, answer,
                                                                   action):
    with at(OPENS, 10):
        response = client.post(f"/r/{token}/q/{number}",
                               data={"answer": answer, "action": action})
    assert response.status_code in (200, 302, 404, 422), response.status_code
    report = session.exec(select(SelfReport).where(SelfReport.assessment_id == month_1.id)).first()
    if report is not None:
        session.refresh(report)
        for key, value in report.answers.items():
            assert value == "skip" or (key == "vas" and 0 <= float(value) <= 10) or (
                key.startswith("odi.") and value in "012345") or value in (
                "very_unsatisfied", "unsatisfied", "satisfied", "very_satisfied")


def test_staff_see_what_was_sent_opened_and_started(client, session, clinic, month_1, token,
                                                    app):
    from tests.factories import PASSWORD

    with at(OPENS, 19):
        _answer_all(client, token, upto=2)
    staff = app.test_client()
    with at(OPENS, 20):
        staff.post("/login", data={"email": clinic.nurse.email, "password": PASSWORD})
        page = staff.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
        assert "Self-report: started" in page and "Invitation: sent 2026-02-07" in page
        assert "link opened 2026-02-07" in page and "Reminder: planned 2026-02-10" in page
        worklist = staff.get("/worklist").get_data(as_text=True)
        assert "Link sent 2026-02-07; started (call from 2026-02-17)" in worklist
        board = staff.get(f"/studies/{clinic.study.code}/self-report")
        assert board.status_code == 200
        text = board.get_data(as_text=True)
        assert "Completed by the patient" in text and "sent: 1" in text
        log = staff.get("/reminders/").get_data(as_text=True)  # the link e-mail's visit
        row = log.split('id="delivery-log"', 1)[1].split("</tr>", 2)[1]
        assert "Self-report link" in row and f"{clinic.patient.study_code} · 1 month" in row


def test_the_patient_page_says_a_link_patient_gets_no_visit_reminder(client, session,
                                                                       clinic, month_1):
    """Found trying the screens as a new user would: for a patient answering by link,
    with consent and an address, the page said 'No patient reminder is planned (no
    consent or e-mail…)'."""
    from tests.web.helpers import login

    login(client, clinic.nurse)
    with at(OPENS, 9):
        page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert "the patient answers each visit by link" in page
    assert "no consent or e-mail" not in page


def test_a_locked_record_answers_the_patient_in_the_patients_words(client, session, clinic,
                                                                   month_1, token):
    """Found re-checking the links: a patient whose record was locked got the staff's
    423 page, in English, naming the study code and the coordinator who locked it."""
    from clinic.locks.service import lock_patient
    from tests.factories import make_user
    from tests.web.helpers import login

    coordinator = make_user(session, "coordinator")
    lock_patient(session, clinic.patient, actor_id=coordinator.id)
    session.commit()
    with at(OPENS, 19):
        opened = client.get(f"/r/{token}")  # said at once, not after every answer
        client.post(f"/r/{token}/q/1", data={"answer": "3", "action": "next"})
        refused = client.post(f"/r/{token}/review")
    for response in (opened, refused):
        assert response.status_code == 423
        text = response.get_data(as_text=True)
        assert "Your answers cannot be taken just now" in text
        assert "Please call the clinic" in text
        assert clinic.patient.study_code not in text and coordinator.name not in text
        assert "studies" not in text
    session.refresh(month_1)
    assert month_1.state == "pending"
    login(client, clinic.nurse)  # and the staff see that the patient tried
    with at(OPENS, 20):
        page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert "The patient opened the link when it could not be answered" in page
    assert "3 times" in page
