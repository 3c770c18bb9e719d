"""The optional second factor (TOTP): set-up, log-in with a code, no replay, lockout."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import time_machine
from sqlmodel import select

from clinic.auth.totp import accepted_step
from clinic.models import User
from tests.factories import PASSWORD
from tests.web.helpers import login


def _enable(client, db, user: User) -> str:
    page = client.get("/account/two-step").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    done = client.post("/account/two-step", data={"code": pyotp.TOTP(secret).now(),
                                                  "password": PASSWORD})
    assert done.status_code == 302
    db.expire_all()
    assert db.get(User, user.id).has_totp
    return secret


def test_turning_two_step_on_then_logging_in_with_a_code(app, clinic, db):
    nurse = clinic.users["nurse"]
    client = app.test_client()
    login(client, nurse)
    secret = _enable(client, db, nurse)
    fresh = app.test_client()
    first = fresh.post("/login", data={"email": nurse.email, "password": PASSWORD})
    assert first.status_code == 302 and "/login/code" in first.headers["Location"]
    assert fresh.get("/worklist").status_code == 302, "no access before the code"
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=31)):
        wrong = fresh.post("/login/code", data={"code": "000000"})
        assert wrong.status_code == 422
        right = fresh.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
        assert right.status_code == 302
        assert fresh.get("/worklist").status_code == 200


def test_a_used_code_cannot_be_used_again():
    secret = pyotp.random_base32()
    now = datetime(2026, 12, 3, 10, 0, 5, tzinfo=UTC)
    code = pyotp.TOTP(secret).at(now)
    step = accepted_step(secret, code, now, None)
    assert step is not None
    assert accepted_step(secret, code, now, step) is None
    assert accepted_step(secret, "12345", now, None) is None
    assert accepted_step(secret, "abcdef", now, None) is None


def test_wrong_codes_count_towards_the_lockout(app, clinic, db):
    nurse = clinic.users["nurse"]
    client = app.test_client()
    login(client, nurse)
    _enable(client, db, nurse)
    fresh = app.test_client()
    fresh.post("/login", data={"email": nurse.email, "password": PASSWORD})
    answers = [fresh.post("/login/code", data={"code": "111111"}) for _ in range(5)]
    assert answers[-1].status_code == 422 and "locked" in answers[-1].get_data(as_text=True)
    db.expire_all()
    assert db.get(User, nurse.id).locked_until is not None


def test_admins_can_be_required_to_set_up_two_step(app, clinic, db):
    app.config["REQUIRE_TOTP_FOR_ADMINS"] = True
    admin = clinic.users["admin"]
    client = app.test_client()
    login(client, admin)
    gate = client.get("/admin/users")
    assert gate.status_code == 302 and "/account/two-step" in gate.headers["Location"]
    _enable(client, db, admin)
    assert client.get("/admin/users").status_code == 200
    off = client.post("/account/two-step", data={"action": "disable", "password": PASSWORD},
                      follow_redirects=True)
    assert "must keep" in off.get_data(as_text=True)
    assert db.exec(select(User).where(User.id == admin.id)).one().has_totp


def test_turning_two_step_on_needs_the_password_and_keeps_the_secret_off_the_cookie(
        app, clinic, db):
    """Someone holding a stolen session cannot tie the account to their own phone."""
    nurse = clinic.users["nurse"]
    client = app.test_client()
    login(client, nurse)
    page = client.get("/account/two-step").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    cookie = client.get_cookie("session").value
    import zlib

    from itsdangerous import base64_decode
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64_decode(payload)
    text = (zlib.decompress(raw) if cookie.startswith(".") else raw).decode()
    assert secret not in text
    refused = client.post("/account/two-step", data={"code": pyotp.TOTP(secret).now(),
                                                     "password": "not the password"})
    assert refused.status_code == 422 and "not your password" in refused.get_data(as_text=True)
    db.expire_all()
    assert not db.get(User, nurse.id).has_totp
