"""What an independent probe of the accounts found, as tests: reset links that outlived a
promotion, API tokens that outlived a password change, a lockout that told unknown
addresses apart, and a coordinator reading an administrator's security details."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlmodel import Session, select

from clinic.auth.tokens import create_token
from clinic.db import get_engine
from clinic.models import ApiToken, LoginThrottle, User
from tests.factories import PASSWORD
from tests.web.helpers import login

NEW = "another long passphrase 42"


def _reset_link(client, user_id: int) -> str:
    page = client.post(f"/admin/users/{user_id}/reset-link").get_data(as_text=True)
    return re.search(r'id="reset-link">[^<]*(/account/reset/[^<]+)<', page).group(1)


def _token(app, user: User) -> dict[str, str]:
    with Session(get_engine(app)) as session:
        _row, plain = create_token(session, user=user, name="probe", days=30)
        session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_a_reset_link_stops_working_when_the_user_is_promoted(app, clinic, db):
    """The coordinator's link for a physician must not become a way into an admin login."""
    physician = clinic.users["physician"]
    coordinator, admin = app.test_client(), app.test_client()
    login(coordinator, clinic.users["coordinator"])
    login(admin, clinic.users["admin"])
    link = _reset_link(coordinator, physician.id)
    promoted = admin.post(f"/admin/users/{physician.id}",
                          data={"name": physician.name, "role": "admin", "site": ""})
    assert promoted.status_code == 302
    stranger = app.test_client()
    assert stranger.get(link).status_code == 404
    used = stranger.post(link, data={"password": NEW, "password_again": NEW})
    assert used.status_code == 404
    assert stranger.post("/login", data={"email": physician.email,
                                         "password": NEW}).status_code == 401


def test_a_reset_link_is_refused_when_its_issuer_may_no_longer_manage_the_user(app, clinic, db):
    """Even a link that was not cancelled: the issuer's right is checked again on use."""
    from clinic.auth.resets import issue_reset

    physician = clinic.users["physician"]
    with Session(get_engine(app)) as session:
        token = issue_reset(session, user=session.get(User, physician.id),
                            actor_id=clinic.users["coordinator"].id)
        session.get(User, physician.id).role = "admin"  # changed behind the app's back
        session.commit()
    assert app.test_client().get(f"/account/reset/{token}").status_code == 404


def test_a_reset_link_stops_working_after_the_user_changes_the_password(app, clinic):
    nurse = clinic.users["nurse"]
    coordinator, own = app.test_client(), app.test_client()
    login(coordinator, clinic.users["coordinator"])
    link = _reset_link(coordinator, nurse.id)
    login(own, nurse)
    own.post("/account/password", data={"current_password": PASSWORD, "password": NEW,
                                         "password_again": NEW})
    assert app.test_client().get(link).status_code == 404


def test_a_password_change_revokes_the_api_tokens(app, clinic):
    nurse = clinic.users["nurse"]
    headers = _token(app, nurse)
    client = app.test_client()
    assert client.get("/api/v1/patients", headers=headers).status_code == 200
    login(client, nurse)
    client.post("/account/password", data={"current_password": PASSWORD, "password": NEW,
                                           "password_again": NEW})
    assert client.get("/api/v1/patients", headers=headers).status_code == 401


def test_a_reset_and_an_admin_ending_sessions_revoke_the_api_tokens(app, clinic):
    nurse = clinic.users["nurse"]
    admin = app.test_client()
    login(admin, clinic.users["admin"])
    first = _token(app, nurse)
    link = _reset_link(admin, nurse.id)
    app.test_client().post(link, data={"password": NEW, "password_again": NEW})
    api = app.test_client()
    assert api.get("/api/v1/patients", headers=first).status_code == 401
    second = _token(app, nurse)
    assert api.get("/api/v1/patients", headers=second).status_code == 200
    ended = admin.post(f"/admin/users/{nurse.id}/sessions/end", follow_redirects=True)
    assert "API tokens" in ended.get_data(as_text=True)
    assert api.get("/api/v1/patients", headers=second).status_code == 401


def test_a_deactivated_users_tokens_stay_revoked_after_reactivation(app, clinic, db):
    nurse = clinic.users["nurse"]
    headers = _token(app, nurse)
    admin = app.test_client()
    login(admin, clinic.users["admin"])
    admin.post(f"/admin/users/{nurse.id}/active", data={"is_active": "no"})
    admin.post(f"/admin/users/{nurse.id}/active", data={"is_active": "yes"})
    assert app.test_client().get("/api/v1/patients", headers=headers).status_code == 401


def test_an_admin_sees_and_revokes_one_token_of_a_user(app, clinic, db):
    nurse = clinic.users["nurse"]
    headers = _token(app, nurse)
    admin = app.test_client()
    login(admin, clinic.users["admin"])
    page = admin.get(f"/admin/users/{nurse.id}").get_data(as_text=True)
    assert 'id="user-tokens"' in page and "probe" in page
    row = db.exec(select(ApiToken).where(ApiToken.user_id == nurse.id)).one()
    admin.post(f"/admin/users/{nurse.id}/tokens/{row.id}/revoke")
    assert app.test_client().get("/api/v1/patients", headers=headers).status_code == 401


def test_a_coordinator_sees_none_of_an_administrators_security_details(app, clinic):
    coordinator = app.test_client()
    login(coordinator, clinic.users["coordinator"])
    admin_id = clinic.users["admin"].id
    page = coordinator.get(f"/admin/users/{admin_id}").get_data(as_text=True)
    assert 'id="security-events"' not in page and 'id="user-tokens"' not in page
    assert "Open sessions" not in page
    nurse_page = coordinator.get(f"/admin/users/{clinic.users['nurse'].id}")
    assert 'id="security-events"' in nurse_page.get_data(as_text=True)


def _fail(client, email: str, times: int) -> list[str]:
    pages = [client.post("/login", data={"email": email, "password": "wrong-wrong-1"})
             for _ in range(times)]
    return [p.get_data(as_text=True) for p in pages]


def _until(page: str) -> str:
    return re.search(r"\(until ([^)]+)\)", page).group(1)


def test_a_lockout_reads_alike_for_known_and_unknown_addresses(app, clinic, db):
    """Same 'until', the same doubling, the same failures without a time window."""
    app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 1000
    known, unknown = clinic.users["nurse"].email, "nobody-here@test.invalid"
    start = datetime.now(UTC).replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        first = {e: _fail(app.test_client(), e, 5)[-1] for e in (known, unknown)}
    assert _until(first[known]) == _until(first[unknown])
    with time_machine.travel(start + timedelta(seconds=75), tick=False):
        later = {e: _fail(app.test_client(), e, 1)[-1] for e in (known, unknown)}
    assert _until(later[known]) == _until(later[unknown]), "not recomputed for unknown ones"
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        second = {e: _fail(app.test_client(), e, 5)[-1] for e in (known, unknown)}
    assert _until(second[known]) == _until(second[unknown]), "the second lock doubles alike"
    with time_machine.travel(start + timedelta(minutes=60), tick=False):
        four = {e: _fail(app.test_client(), e, 4)[-1] for e in (known, unknown)}
    with time_machine.travel(start + timedelta(minutes=90), tick=False):
        fifth = {e: app.test_client().post("/login", data={
            "email": e, "password": "wrong-wrong-1"}).status_code for e in (known, unknown)}
    assert "locked" not in four[known] and "locked" not in four[unknown]
    assert fifth[known] == fifth[unknown] == 429, "failures count without a window, alike"
    assert db.exec(select(LoginThrottle).where(LoginThrottle.email == unknown)).one()


def test_staff_e_mail_addresses_are_checked_like_patients(app, clinic):
    admin = app.test_client()
    login(admin, clinic.users["admin"])
    for email in ('"><img/src=x>@demo.invalid', 'x@"><svg/onload=alert(1)>.invalid'):
        refused = admin.post("/admin/users", data={"email": email, "name": "Odd Address",
                                                   "role": "nurse", "site": "NORTH",
                                                   "password": NEW})
        assert refused.status_code == 422, email


def test_control_and_direction_characters_are_refused_in_forms(app, clinic):
    admin = app.test_client()
    login(admin, clinic.users["admin"])
    for name in ("\x01\x02\x1b[31m", "Site \u202egnp.exe"):
        refused = admin.post("/admin/sites", data={"code": "Z1", "name": name},
                             follow_redirects=True)  # the form shown again, cleaned
        assert "invisible" in refused.get_data(as_text=True)
        assert "Z1" not in {s.code for s in all_sites_of(app)}


def all_sites_of(app):
    from sqlmodel import Session, select

    from clinic.db import get_engine
    from clinic.models import Site

    with Session(get_engine(app)) as session:
        return list(session.exec(select(Site)))
