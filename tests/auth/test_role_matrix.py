"""Walk every registered route: each declares a rule, and the rule holds for every role."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from clinic.auth.roles import ANY_USER, PUBLIC, access_rule, allow
from clinic.catalog import ROLES
from tests.auth.role_matrix import EXPECTED
from tests.factories import PASSWORD, make_user


def _endpoints(app: Flask) -> dict[str, tuple[str, str]]:
    """endpoint -> (a concrete URL, a method) for every rule."""
    found = {}
    for rule in app.url_map.iter_rules():
        url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: "1" if "id" in m.group(1) else "x",
                     rule.rule)
        methods = set(rule.methods or ()) - {"HEAD", "OPTIONS"}
        method = "GET" if "GET" in methods else sorted(methods)[0]
        found.setdefault(rule.endpoint, (url, method))
    return found


def test_every_route_declares_a_rule_and_is_in_the_matrix(app):
    with app.test_request_context():
        for endpoint in _endpoints(app):
            assert access_rule(endpoint) is not None, f"{endpoint} declares no access rule"
            assert endpoint in EXPECTED, f"{endpoint} is missing from tests/auth/role_matrix.py"
            assert access_rule(endpoint) == EXPECTED[endpoint], endpoint
    assert set(EXPECTED) <= set(_endpoints(app)), "matrix lists routes that no longer exist"


def test_anonymous_users_reach_only_public_routes(app, client):
    for endpoint, (url, method) in _endpoints(app).items():
        if EXPECTED[endpoint] == PUBLIC or url.startswith("/static"):
            continue
        response = client.open(url, method=method)
        assert response.status_code in (302, 401), (endpoint, response.status_code)
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_gets_exactly_its_routes(app, session, role):
    user = make_user(session, role)
    session.commit()
    client = app.test_client()
    login = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert login.status_code == 302
    for endpoint, (url, method) in _endpoints(app).items():
        rule = EXPECTED[endpoint]
        if endpoint in ("auth.logout", "static") or rule in (PUBLIC, ANY_USER):
            continue
        status = client.open(url, method=method).status_code
        if role in rule:
            assert status != 403, (role, endpoint)
        else:
            assert status == 403, (role, endpoint, status)


def test_a_route_without_a_rule_is_refused(app, session):
    @app.route("/undeclared")
    def undeclared() -> str:
        return "should never be served"

    user = make_user(session, "admin")
    session.commit()
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.get("/undeclared").status_code == 403


def test_unknown_roles_cannot_be_declared():
    with pytest.raises(ValueError):
        allow("janitor")
