"""The role rule on the new screens: every route declares one; nurses stay out of admin."""

from __future__ import annotations

import pytest

from clinic.auth.roles import access_rule
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
