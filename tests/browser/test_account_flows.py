"""Accounts in a real browser: a lockout and its release, two-step verification set up and
used, and a session that ended while typing returns to the form with the values kept."""

from __future__ import annotations

import re
import time
from itertools import count

import pyotp
import pytest
from sqlmodel import Session

from clinic.auth.service import create_user
from clinic.db import get_engine
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
_numbers = count(1)


def _new_user(live, role: str = "physician") -> str:
    email = f"browser{next(_numbers)}.{role}@test.invalid"
    with Session(get_engine(live.app)) as session:
        create_user(session, email=email, name="Browser Person", role=role, password=PASSWORD,
                    site_code="NORTH" if role == "nurse" else None)
        session.commit()
    return email


def _log_in(page, live, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{live.url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_five_wrong_passwords_lock_the_account_until_the_admin_unlocks_it(browser, live):
    email = _new_user(live)
    context = browser.new_context()
    page = context.new_page()
    for _ in range(5):
        _log_in(page, live, email, "not the password")
    message = page.text_content("#login-error")
    assert "locked after too many failed log-ins" in message
    _log_in(page, live, email)  # the right password does not open a locked account
    assert "locked" in page.text_content("#login-error")

    admin = browser.new_context().new_page()
    _log_in(admin, live, live.clinic.users["admin"].email)
    admin.goto(f"{live.url}/admin/users")
    row = admin.locator("tr", has_text=email)
    assert "Locked" in row.text_content()
    row.get_by_role("link", name=email).click()
    admin.get_by_role("button", name="Unlock").click()
    assert "unlocked" in admin.text_content("main")

    _log_in(page, live, email)
    page.wait_for_url(f"{live.url}/")
    context.close()


def test_two_step_verification_is_set_up_and_asked_at_the_next_log_in(browser, live):
    email = _new_user(live)
    page = browser.new_context().new_page()
    _log_in(page, live, email)
    page.wait_for_url(f"{live.url}/")
    page.goto(f"{live.url}/account")
    page.get_by_role("link", name="Two-step verification").click()
    assert page.locator("img[alt^='QR code']").count() == 1
    secret = page.text_content("#totp-secret").strip()
    page.fill("#password", PASSWORD)
    page.fill("#code", pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn two-step verification on").click()
    assert "Two-step verification is on" in page.text_content("main")
    page.get_by_role("button", name="Log out").click()

    _log_in(page, live, email)
    page.wait_for_url(re.compile(r".*/login/code.*"))
    page.fill("#code", "000000")
    page.click("button[type=submit]")
    assert "not right" in page.text_content("#code-error")
    page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))  # the next step: not replayed
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/")


def test_an_idle_session_returns_to_the_form_with_the_values_kept(browser, live):
    email = _new_user(live, role="nurse")
    page = browser.new_context().new_page()
    _log_in(page, live, email)
    page.wait_for_url(f"{live.url}/")
    patient = live.clinic.patient
    page.goto(f"{live.url}/patients/{patient.id}/edit")
    page.fill("#bmi", "31.5")
    page.fill("#reason", "Weighed again at the visit")
    live.app.config["SESSION_IDLE_MINUTES"] = 0.02  # about a second
    try:
        time.sleep(2)
        page.get_by_role("button", name="Save correction").click()
        page.wait_for_url(re.compile(r".*/login\?next=.*"))
        assert "what you typed is kept" in page.text_content("main")
    finally:
        live.app.config["SESSION_IDLE_MINUTES"] = 30
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(rf".*/patients/{patient.id}/edit\?draft=.*"))
    assert page.input_value("#bmi") == "31.5"
    assert page.input_value("#reason") == "Weighed again at the visit"
    assert "it is not saved yet" in page.text_content("main")
