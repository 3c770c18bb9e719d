"""/reminders: who may see it, what each role sees, failures highlighted."""

from __future__ import annotations

import time_machine

from clinic.reminders.delivery import run_once
from tests.factories import PASSWORD, make_site, make_user
from tests.reminders.conftest import SEND_DAY


def login(client, session, role, site=None):  # type: ignore[no-untyped-def]
    user = make_user(session, role, site)
    session.commit()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return user


def test_roles(client, session, clinic):
    assert client.get("/reminders/").status_code == 302  # to the login page
    login(client, session, "physician")
    assert client.get("/reminders/").status_code == 403
    assert client.post("/reminders/reminder/1/send-again").status_code == 403


def test_nurse_sees_own_site_log_and_nav_link(mail_app, smtp, client, session, clinic):
    with time_machine.travel(SEND_DAY):
        run_once(mail_app)
    login(client, session, "nurse", make_site(session))
    page = client.get("/reminders/").get_data(as_text=True)
    assert 'href="/reminders/"' in page
    assert page.count('data-outcome="sent"') == 2
    assert f"{clinic.patient.study_code} · 1 month" in page
    assert "Send again" not in page
    client.post("/logout")
    login(client, session, "nurse", make_site(session, "SOUTH"))
    page = client.get("/reminders/").get_data(as_text=True)
    assert "data-outcome" not in page and "Nothing sent yet." in page


def test_unknown_outcome_is_shown_for_review(mail_app, smtp, client, session, clinic):
    smtp.handler.hang_up = True
    with time_machine.travel(SEND_DAY):
        run_once(mail_app)
    login(client, session, "coordinator")
    page = client.get("/reminders/").get_data(as_text=True)
    assert page.count('data-state="unknown"') == 2
    assert "OUTCOME UNKNOWN" in page and "not re-sent automatically" in page
    assert page.count('class="status-missed failed"') == 2
    assert page.count("Unknown: the mail server may or may not have received it") == 2
    assert "check the mail server&#39;s log for Message-ID &lt;digest-1@clinic.test&gt;" in page
    assert "(Message-ID &lt;digest-1@clinic.test&gt;)" in page  # on the log line too


def test_the_log_shows_one_patients_e_mails_and_no_server_code_on_success(
        mail_app, smtp, client, session, clinic):
    """Found trying the screens as a new user would: a coordinator looking for why one
    patient did not come scrolled the whole log; "sent (250)" named a code nobody reads."""
    with time_machine.travel(SEND_DAY):
        run_once(mail_app)
    login(client, session, "coordinator")
    code = clinic.patient.study_code
    page = client.get("/reminders/").get_data(as_text=True)
    assert page.count("data-outcome") == 2 and "(250)" not in page
    one = client.get(f"/reminders/?patient={code.lower()}").get_data(as_text=True)
    assert one.count("data-outcome") == 1 and f"{code} · 1 month" in one
    assert "Nurse digest" not in one.split('id="delivery-log"')[1]
    none = client.get("/reminders/?patient=NOBODY-1").get_data(as_text=True)
    assert "data-outcome" not in none and "No e-mail about NOBODY-1." in none
