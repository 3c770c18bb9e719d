"""Nothing typed is lost: a form posted after the session ended, or with a stale CSRF
token, comes back filled in after the log-in; nothing was saved in between."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import time_machine

from clinic.models import Assessment, FormDraft
from tests.factories import PASSWORD
from tests.web.helpers import login, odi_form

TYPED = {"mode": "phone", "vas": "7", **odi_form([1, 2, 3, 2, 1, 2, 1, 0, 2, 1]),
         "satisfaction_results": "satisfied"}


def test_a_form_posted_after_the_idle_timeout_returns_after_the_log_in(app, clinic, db):
    nurse = clinic.users["nurse"]
    client = app.test_client()
    login(client, nurse)
    url = f"/followup/{clinic.due.id}"
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=31)):
        posted = client.post(url, data={**TYPED, "version": clinic.due.version})
        assert posted.status_code == 302
        target = posted.headers["Location"]
        assert target.startswith("/login?next=")
        db.expire_all()
        assert db.get(Assessment, clinic.due.id).state == "pending", "nothing was saved"
        logged_in = client.post(target, data={"email": nurse.email, "password": PASSWORD})
        back = logged_in.headers["Location"]
        assert urlsplit(back).path == url and "draft=" in back
        page = client.get(back).get_data(as_text=True)
        assert 'value="7"' in page and "what you had typed" in page
        assert 'id="odi-lifting" name="odi.lifting" value="3"' in page
        assert db.exec(FormDraft.__table__.select()).first() is None, "shown once, then gone"
        saved = client.post(url, data={**TYPED, "version": clinic.due.version})
        assert saved.status_code == 302
    db.expire_all()
    assert db.get(Assessment, clinic.due.id).state == "completed"


def test_a_stale_csrf_token_keeps_the_form(app, clinic):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    nurse = clinic.users["nurse"]
    client.post("/login", data={"email": nurse.email, "password": PASSWORD,
                                "csrf_token": token})
    url = f"/followup/{clinic.due.id}"
    stale = client.post(url, data={**TYPED, "version": clinic.due.version,
                                   "csrf_token": "stale-token"})
    assert stale.status_code == 302 and urlsplit(stale.headers["Location"]).path == url
    refilled = client.get(stale.headers["Location"]).get_data(as_text=True)
    assert "had expired" in refilled and 'value="7"' in refilled


def test_a_draft_belongs_to_its_user(app, clinic, db):
    nurse = clinic.users["nurse"]
    client = app.test_client()
    login(client, nurse)
    url = f"/followup/{clinic.due.id}"
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=31)):
        target = client.post(url, data={**TYPED, "version": 1}).headers["Location"]
    back = target.split("next=")[1].replace("%3F", "?").replace("%3D", "=")
    other = app.test_client()
    login(other, clinic.users["coordinator"])
    page = other.get(back).get_data(as_text=True)
    assert 'value="7"' not in page and "could not be restored" in page


def test_an_anonymous_post_keeps_nothing_and_sets_no_cookie(app, clinic, db):
    """A form posted by another site's page (no cookie reaches us) must not become a
    draft that the next person to log in would see as 'what you typed'."""
    app.config["WTF_CSRF_ENABLED"] = True
    stranger = app.test_client()
    posted = stranger.post(f"/patients/{clinic.patient.id}/contact",
                           data={"email": "attacker@example.invalid", "version": "1",
                                 "reason": "update"})
    assert posted.status_code == 400
    assert "Set-Cookie" not in posted.headers, "the victim's own cookie must stay as it was"
    assert db.exec(FormDraft.__table__.select()).first() is None


def test_a_cross_site_post_is_refused_even_with_the_cookie(app, clinic, db):
    client = app.test_client()
    login(client, clinic.users["nurse"])
    posted = client.post(f"/followup/{clinic.due.id}", data={**TYPED, "version": 1},
                         headers={"Sec-Fetch-Site": "cross-site"})
    assert posted.status_code == 403
    assert "another web site" in posted.get_data(as_text=True)
    db.expire_all()
    assert db.get(Assessment, clinic.due.id).state == "pending"
    same = client.post(f"/followup/{clinic.due.id}", data={**TYPED, "version": 1},
                       headers={"Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 302


def test_drafts_are_bounded_in_size_and_number(app, clinic, db):
    from clinic.web.drafts import MAX_CHARACTERS, MAX_PER_USER

    nurse = clinic.users["nurse"]
    client = app.test_client()
    login(client, nurse)
    url = f"/followup/{clinic.due.id}"
    huge = {f"field{i}": "x" * 5000 for i in range(300)}
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=31)):
        for _ in range(MAX_PER_USER + 5):
            login(client, nurse)
            with time_machine.travel(datetime.now(UTC) + timedelta(minutes=31)):
                client.post(url, data={**huge, "version": 1})
    rows = db.exec(FormDraft.__table__.select()).all()
    assert 0 < len(rows) <= MAX_PER_USER
    assert all(sum(len(k) + len(v) for k, v in r.fields.items()) <= MAX_CHARACTERS
               for r in rows)
