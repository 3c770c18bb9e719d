"""Roles that cannot climb, and accounts a security officer accepts."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from clinic.auth.service import can_manage
from clinic.catalog import ROLES
from clinic.models import SecurityEvent, User, UserSession
from tests.factories import PASSWORD
from tests.web.helpers import login

STRONG = "correct horse battery staple 7"

# who may give (or change, or take away) which role: the whole table, written out
GRANTS = {
    "admin": {"admin", "coordinator", "physician", "nurse", "monitor"},
    "coordinator": {"coordinator", "physician", "nurse", "monitor"},
    "physician": set(),
    "nurse": set(),
    "monitor": set(),
}


@pytest.mark.parametrize("actor", sorted(ROLES))
@pytest.mark.parametrize("role", sorted(ROLES))
def test_who_may_grant_which_role(actor, role):
    assert can_manage(actor, role) is (role in GRANTS[actor])


def _user(db, email: str) -> User | None:
    db.expire_all()
    return db.exec(select(User).where(User.email == email)).first()


def test_a_coordinator_cannot_create_an_administrator(client, clinic, db):
    login(client, clinic.users["coordinator"])
    response = client.post("/admin/users", data={
        "email": "climber@test.invalid", "name": "Climber", "role": "admin",
        "password": STRONG})
    assert response.status_code == 422
    assert "cannot create a admin login" in response.get_data(as_text=True)
    assert _user(db, "climber@test.invalid") is None


def test_a_coordinator_cannot_promote_or_deactivate_an_administrator(client, clinic, db):
    login(client, clinic.users["coordinator"])
    nurse, admin = clinic.users["nurse"], clinic.users["admin"]
    promote = client.post(f"/admin/users/{nurse.id}", data={
        "name": nurse.name, "role": "admin", "site": "NORTH"})
    assert promote.status_code == 422 and _user(db, nurse.email).role == "nurse"
    assert client.post(f"/admin/users/{admin.id}/active",
                       data={"is_active": "no"}).status_code == 403
    assert client.post(f"/admin/users/{admin.id}", data={
        "name": "X", "role": "nurse", "site": "NORTH"}).status_code == 422
    assert client.post(f"/admin/users/{admin.id}/reset-link").status_code == 403
    assert _user(db, admin.email).is_active and _user(db, admin.email).role == "admin"
    assert client.get(f"/admin/studies/{clinic.study.id}/sequence").status_code == 403


def test_a_coordinator_manages_nurses(client, clinic, db):
    login(client, clinic.users["coordinator"])
    created = client.post("/admin/users", data={
        "email": "new.nurse@test.invalid", "name": "New Nurse", "role": "nurse",
        "site": "SOUTH", "password": STRONG})
    assert created.status_code == 302
    new = _user(db, "new.nurse@test.invalid")
    assert new.must_change_password and new.site_id == clinic.south.id
    moved = client.post(f"/admin/users/{new.id}", data={
        "name": "New Nurse", "role": "nurse", "site": "NORTH"})
    assert moved.status_code == 302 and _user(db, new.email).site_id == clinic.north.id


def test_a_second_tab_does_not_undo_the_first_tabs_change(client, clinic, db):
    """Found trying the screens as a new user would: tab A made a physician a nurse at
    SOUTH; tab B, opened before, changed the name only and silently put back the role and
    site it had read."""
    login(client, clinic.users["coordinator"])
    target = clinic.users["physician"]
    page = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    first = client.post(f"/admin/users/{target.id}", data={
        "name": target.name, "role": "nurse", "site": "SOUTH", "version": version})
    assert first.status_code == 302
    second = client.post(f"/admin/users/{target.id}", follow_redirects=True, data={
        "name": "Renamed", "role": "physician", "site": "", "version": version})
    assert "was changed by someone else since this page was opened" in second.get_data(
        as_text=True)
    db.expire_all()
    user = db.get(User, target.id)
    assert (user.name, user.role, user.site_id) == (target.name, "nurse", clinic.south.id)
    said = client.get(f"/admin/users/{target.id}")  # the success message names the site
    assert "site_id" not in said.get_data(as_text=True)


def test_nobody_removes_the_last_active_administrator(client, clinic, db):
    admin = clinic.users["admin"]
    login(client, admin)
    other = db.exec(select(User).where(User.role == "admin", User.id != admin.id)).first()
    assert other is None
    demote = client.post(f"/admin/users/{admin.id}", data={"name": admin.name,
                                                           "role": "coordinator"})
    assert demote.status_code == 422 and "last active administrator" in demote.get_data(
        as_text=True)
    second = client.post("/admin/users", data={"email": "second.admin@test.invalid",
                                               "name": "Second Admin", "role": "admin",
                                               "password": STRONG})
    assert second.status_code == 302
    second_admin = _user(db, "second.admin@test.invalid")
    gone = client.post(f"/admin/users/{second_admin.id}/active", data={"is_active": "no"},
                       follow_redirects=True)
    assert "deactivated" in gone.get_data(as_text=True)
    assert client.post(f"/admin/users/{admin.id}", data={"name": admin.name,
                                                         "role": "coordinator"}
                       ).status_code == 422


@pytest.mark.parametrize("password", ["aaaaaaaa", "password", "password12", "short",
                                      "aaaaaaaaaaaa", "abcabcabcabc", "qwertyuiop",
                                      "1234567890"])
def test_common_and_weak_passwords_are_refused(client, clinic, password):
    login(client, clinic.users["admin"])
    response = client.post("/admin/users", data={"email": "weak@test.invalid", "name": "W",
                                                  "role": "physician", "password": password})
    assert response.status_code == 422


def test_a_cookie_captured_before_logout_is_refused_after_it(app, clinic):
    client = app.test_client()
    login(client, clinic.users["nurse"])
    captured = client.get_cookie("session").value
    assert client.get("/worklist").status_code == 200
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", captured)
    response = thief.get("/worklist")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("target", ["//evil.example", "/%09/evil.example", "/\\evil.example",
                                    "https://evil.example/", "/%0d%0aSet-Cookie:x=1",
                                    "javascript:alert(1)", "/\t/evil.example"])
def test_next_stays_on_this_site(client, clinic, target):
    user = clinic.users["nurse"]
    response = client.post(f"/login?next={target}", data={"email": user.email,
                                                         "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_same_site_next_is_followed(client, clinic):
    user = clinic.users["nurse"]
    response = client.post("/login?next=/worklist%3Fsite%3D1", data={
        "email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/worklist?site=1"


def test_five_wrong_passwords_lock_the_account_until_an_admin_unlocks_it(app, clinic, db):
    nurse = clinic.users["nurse"]
    client = app.test_client()
    for _ in range(4):
        wrong = client.post("/login", data={"email": nurse.email, "password": "nope-nope-1"})
        assert wrong.status_code == 401
    fifth = client.post("/login", data={"email": nurse.email, "password": "nope-nope-1"})
    assert fifth.status_code == 429 and "locked" in fifth.get_data(as_text=True)
    right = client.post("/login", data={"email": nurse.email, "password": PASSWORD})
    assert right.status_code == 429, "the right password does not open a locked account"
    admin = app.test_client()
    login(admin, clinic.users["admin"])
    assert "Locked" in admin.get("/admin/users").get_data(as_text=True)
    admin.post(f"/admin/users/{nurse.id}/unlock")
    assert client.post("/login", data={"email": nurse.email,
                                       "password": PASSWORD}).status_code == 302
    kinds = [e.kind for e in db.exec(select(SecurityEvent).where(
        SecurityEvent.user_id == nurse.id).order_by(SecurityEvent.id))]
    assert kinds.count("login_failed") == 6 and "locked" in kinds
    assert kinds[-2:] == ["unlocked", "login"]


def test_unknown_e_mails_lock_the_same_way(app, clinic):
    client = app.test_client()
    answers = [client.post("/login", data={"email": "nobody@test.invalid",
                                           "password": "nope-nope-1"}) for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * 4 + [429] * 2, "as for a known account"
    assert "locked" in answers[4].get_data(as_text=True)


def test_one_address_with_many_failures_is_throttled(app, clinic):
    app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 6
    client = app.test_client()
    for n in range(6):
        client.post("/login", data={"email": f"guess{n}@test.invalid", "password": "x" * 12})
    nurse = clinic.users["nurse"]
    blocked = client.post("/login", data={"email": nurse.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "network address" in blocked.get_data(as_text=True)


def test_every_login_path_computes_one_password_hash(app, clinic, monkeypatch):
    """Known and unknown e-mails cost the same: one hash each, whatever the outcome."""
    import clinic.auth.login as login_module

    calls: list[int] = []
    real = login_module.check_password_hash

    def counting(hashed: str, password: str) -> bool:
        calls.append(1)
        return real(hashed, password)

    monkeypatch.setattr(login_module, "check_password_hash", counting)
    client = app.test_client()
    nurse = clinic.users["nurse"]
    for email, password in ((nurse.email, "wrong-wrong-1"), ("nobody@test.invalid", "x" * 12),
                            (nurse.email, PASSWORD)):
        calls.clear()
        client.post("/login", data={"email": email, "password": password})
        assert len(calls) == 1, email


def test_changing_the_password_ends_the_other_sessions(app, clinic, db):
    nurse = clinic.users["nurse"]
    here, there = app.test_client(), app.test_client()
    login(here, nurse)
    login(there, nurse)
    changed = here.post("/account/password", data={
        "current_password": PASSWORD, "password": STRONG, "password_again": STRONG})
    assert changed.status_code == 302
    assert here.get("/worklist").status_code == 200
    assert there.get("/worklist").status_code == 302
    open_rows = db.exec(select(UserSession).where(UserSession.user_id == nurse.id,
                                                  UserSession.ended_at.is_(None))).all()
    assert len(open_rows) == 1


def test_deactivation_ends_every_session(app, clinic):
    nurse = clinic.users["nurse"]
    victim, admin = app.test_client(), app.test_client()
    login(victim, nurse)
    login(admin, clinic.users["admin"])
    admin.post(f"/admin/users/{nurse.id}/active", data={"is_active": "no"})
    assert victim.get("/worklist").status_code == 302


def test_a_first_password_set_by_an_admin_must_be_changed(app, clinic, db):
    admin = app.test_client()
    login(admin, clinic.users["admin"])
    admin.post("/admin/users", data={"email": "fresh@test.invalid", "name": "Fresh Nurse",
                                     "role": "nurse", "site": "NORTH", "password": STRONG})
    client = app.test_client()
    first = client.post("/login", data={"email": "fresh@test.invalid", "password": STRONG})
    assert first.status_code == 302
    gate = client.get("/worklist")
    assert gate.status_code == 302 and "/account/password" in gate.headers["Location"]
    new = "a completely different passphrase"
    assert client.post("/account/password?next=/worklist", data={
        "current_password": STRONG, "password": new, "password_again": new}
    ).headers["Location"] == "/worklist"
    assert client.get("/worklist").status_code == 200


def test_a_reset_link_works_once(app, clinic, db):
    import re

    nurse = clinic.users["nurse"]
    admin = app.test_client()
    login(admin, clinic.users["admin"])
    page = admin.post(f"/admin/users/{nurse.id}/reset-link").get_data(as_text=True)
    link = re.search(r'id="reset-link">[^<]*(/account/reset/[^<]+)<', page).group(1)
    anonymous = app.test_client()
    assert anonymous.get(link).status_code == 200
    new = "new phrase after the reset"
    done = anonymous.post(link, data={"password": new, "password_again": new})
    assert done.status_code == 302
    assert anonymous.get(link).status_code == 404
    assert anonymous.post("/login", data={"email": nurse.email,
                                          "password": new}).status_code == 302


def test_security_headers_and_cookie_flags_in_production(test_database, tmp_path):
    from clinic import create_app
    from clinic.db import get_engine

    app = create_app({"DATABASE_URL": test_database.fresh_url(tmp_path),
                      "SECRET_KEY": "production-like", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(
        ";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    secure = client.get("/login", base_url="https://clinic.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in response.headers
    cookie = secure.headers.get("Set-Cookie", "") or client.post(
        "/login", data={"email": "x@y.z", "password": "y"}, base_url="https://clinic.example"
    ).headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    get_engine(app).dispose()


def test_the_app_hashes_passwords_with_scrypt(monkeypatch):
    """The suite gives its made-up staff cheap hashes (tests/conftest.py); the app's own
    method is scrypt, and a log-in checks either kind."""
    from clinic.auth import passwords
    from clinic.auth.login import check_password_hash
    from tests.conftest import APP_HASH_METHOD

    assert APP_HASH_METHOD == "scrypt"
    monkeypatch.setattr(passwords, "HASH_METHOD", APP_HASH_METHOD)
    made = passwords.hash_password(PASSWORD)
    assert made.startswith("scrypt:32768:8:1$") and check_password_hash(made, PASSWORD)


def test_the_first_password_change_refuses_the_password_set_by_the_admin(app, clinic, db):
    """Found trying the screens as a new user would: the forced change took the same
    password again, which the administrator still knew."""
    admin = app.test_client()
    login(admin, clinic.users["admin"])
    admin.post("/admin/users", data={"email": "same@test.invalid", "name": "Same Nurse",
                                     "role": "nurse", "site": "NORTH", "password": STRONG})
    client = app.test_client()
    assert client.post("/login", data={"email": "same@test.invalid",
                                       "password": STRONG}).status_code == 302
    same = client.post("/account/password?next=/worklist", data={
        "current_password": STRONG, "password": STRONG, "password_again": STRONG})
    assert same.status_code == 422
    assert "known to whoever set it" in same.get_data(as_text=True)
    assert _user(db, "same@test.invalid").must_change_password
    assert client.get("/worklist").status_code == 302  # the gate is still closed
    home = client.get("/")  # comes back to "/", not "/?"
    assert home.headers["Location"].endswith("/account/password?next=/"), home.headers["Location"]


def test_a_deactivated_user_with_the_right_password_is_told_so(app, clinic, db):
    """Found trying the screens as a new user would: a deactivated nurse was told her
    password was not recognised, and kept trying it. Only the right password learns
    that the account is deactivated; a wrong one reads as any other."""
    nurse = clinic.users["nurse"]
    admin = app.test_client()
    login(admin, clinic.users["admin"])
    admin.post(f"/admin/users/{nurse.id}/active", data={"is_active": "no"})
    client = app.test_client()
    right = client.post("/login", data={"email": nurse.email, "password": PASSWORD})
    assert right.status_code != 302 and "This account is deactivated" in right.get_data(
        as_text=True)
    wrong = client.post("/login", data={"email": nurse.email, "password": PASSWORD + "x"})
    text = wrong.get_data(as_text=True)
    assert "E-mail or password not recognised" in text and "deactivated" not in text


def test_a_user_without_a_role_is_asked_for_one_in_words(client, clinic):
    """Found trying the screens as a new user would: 'Role must be one of: nurse,
    physician, coordinator, admin, monitor', codes the list does not show."""
    login(client, clinic.users["admin"])
    response = client.post("/admin/users", data={"email": "norole@test.invalid",
                                                  "name": "No Role", "role": "",
                                                  "password": STRONG})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "Choose the role from the list." in text
    assert "must be one of" not in text
