"""The role rule on the new screens: every route declares one; nurses stay out of admin."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from clinic.auth.roles import access_rule
from clinic.db import get_engine
from clinic.studies.summary import study_summaries
from clinic.web.filters import clinic_today
from tests.web.helpers import login

ADMIN_PAGES = ["/admin/users", "/admin/sites", "/admin/studies", "/admin/studies/1",
               "/admin/studies/1/sequence"]


def test_every_endpoint_declares_an_access_rule(app):
    with app.test_request_context():
        undeclared = [e for e in app.view_functions if access_rule(e) is None]
    assert undeclared == []


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_a_nurse_cannot_reach_admin_pages(client, clinic, url):
    login(client, clinic.users["nurse"])
    assert client.get(url).status_code == 403


def test_the_concealed_sequence_is_for_administrators_only(client, clinic):
    login(client, clinic.users["coordinator"])
    assert client.get(f"/admin/studies/{clinic.study.id}").status_code == 200
    assert client.get(f"/admin/studies/{clinic.study.id}/sequence").status_code == 403
    page = client.post(f"/admin/studies/{clinic.study.id}/sequence", data={"seed": "3"})
    assert page.status_code == 403


def test_anonymous_users_are_sent_to_the_login_page(client, clinic):
    response = client.get("/worklist")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_roles_reach_their_screens(client, clinic):
    login(client, clinic.users["physician"])
    assert client.get("/worklist").status_code == 403
    assert client.get("/cohort").status_code == 200
    assert client.get(f"/followup/{clinic.due.id}").status_code == 403
    assert client.get(f"/patients/{clinic.patient.id}/procedures/new").status_code == 200


def test_a_nurse_sees_only_patients_of_her_site(client, clinic):
    login(client, clinic.users["nurse"])
    assert client.get(f"/patients/{clinic.patient.id}").status_code == 200
    assert client.get(f"/patients/{clinic.other.id}").status_code == 404


def _home_counts(page: str) -> list[str]:
    """The numbers of the home page's first study row, in column order."""
    row = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    return re.findall(r'<td class="num[^"]*">(\d+)</td>', row)


def test_a_nurses_home_page_counts_the_patients_of_her_site_only(client, clinic, app):
    with app.app_context(), Session(get_engine(app)) as session:
        today = clinic_today()
        every = study_summaries(session, today)[0]
        north = study_summaries(session, today, site_id=clinic.north.id)[0]
    assert (every.enrolled, north.enrolled) == (2, 1)
    visits = ("completed", "due", "overdue", "missed", "not_done", "upcoming")
    assert sum(getattr(every, k) for k in visits) == 2 * sum(getattr(north, k) for k in visits)

    login(client, clinic.users["coordinator"])
    assert _home_counts(client.get("/").get_data(as_text=True))[0] == "2"
    client.post("/logout")
    login(client, clinic.users["nurse"])
    page = client.get("/").get_data(as_text=True)
    assert _home_counts(page)[0] == "1"
    assert "Counts of the patients at your site" in page
