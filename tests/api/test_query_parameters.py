"""A query parameter the API does not know is refused by name, not ignored: ignored, a
misspelt filter would answer with every row as if it had filtered."""

from __future__ import annotations

import dataclasses

from clinic.api.base import _openapi_path
from clinic.api.openapi import openapi_document, query_names
from clinic.demo.protocol import DEMO_STUDY
from tests.factories import make_study


def test_a_misspelt_filter_is_refused_and_named(client, bearer):
    response = client.get("/api/v1/queries?stauts=open", headers=bearer("monitor"))
    assert response.status_code == 422
    problem = response.get_json()
    assert "stauts" in problem["errors"]
    assert "status" in problem["errors"]["stauts"] and "patient" in problem["errors"]["stauts"]


def test_the_declared_parameters_still_work(client, bearer, clinic):
    for url in ("/api/v1/queries?status=open&limit=5", "/api/v1/patients?limit=2&study=DEMO",
                f"/api/v1/fhir/Patient/{clinic.patient.id}/$everything?identity=false"):
        assert client.get(url, headers=bearer("coordinator")).status_code == 200, url


def test_an_address_without_parameters_takes_none(client, bearer, clinic):
    response = client.get(f"/api/v1/patients/{clinic.patient.id}?verbose=1",
                          headers=bearer("coordinator"))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"verbose": "Unknown query parameter: this "
                                                        "address takes none."}


def test_no_token_is_still_401_before_the_parameters_are_read(client):
    assert client.get("/api/v1/patients?nonsense=1").status_code == 401


def test_every_route_maps_onto_its_documented_path(app):
    """The check reads the OpenAPI document: each API route must be found there under
    its OpenAPI path, or its declared parameters would be refused."""
    documented = openapi_document()["paths"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi":
            path = _openapi_path(rule.rule)
            assert path in documented, rule.rule
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                declared = {p["name"] for p in documented[path].get(method.lower(), {})
                            .get("parameters", []) if p["in"] == "query"}
                assert query_names(method, path) == declared


def test_the_queries_list_is_kept_to_a_study_by_its_code(client, bearer, clinic, db):
    """``study`` was declared for GET /queries but never read: ?study=NOPE answered with
    every query (found by the attack helper)."""
    from clinic.queries.service import raise_query

    raise_query(db, table="patient", row_id=clinic.patient.id, field="bmi",
                text="Please check the BMI", actor_id=clinic.users["monitor"].id)
    db.commit()
    headers = bearer("coordinator")
    unknown = client.get("/api/v1/queries?study=NOPE", headers=headers)
    assert unknown.status_code == 422 and "NOPE" in unknown.get_json()["errors"]["study"]
    every = client.get("/api/v1/queries", headers=headers).get_json()
    mine = client.get(f"/api/v1/queries?study={clinic.study.code.lower()}", headers=headers)
    assert mine.status_code == 200 and mine.get_json() == every and len(every) >= 1
    other = make_study(db, dataclasses.replace(DEMO_STUDY, code="OTHER"))
    db.commit()
    assert client.get(f"/api/v1/queries?study={other.code}", headers=headers).get_json() == []


def test_a_parameter_twice_or_outside_its_list_is_refused(client, bearer, clinic):
    headers = bearer("coordinator")
    twice = client.get("/api/v1/queries?status=open&status=bogus", headers=headers)
    assert twice.status_code == 422
    assert twice.get_json()["errors"] == {"status": "Give status once (it was given 2 times)."}
    url = f"/api/v1/fhir/Patient/{clinic.patient.id}/$everything?identity=yes"
    listed = client.get(url, headers=headers)
    assert listed.status_code == 422
    assert listed.get_json()["issue"][1] == {  # a FHIR address: an OperationOutcome
        "severity": "error", "code": "invalid", "diagnostics": "Choose true or false.",
        "expression": ["identity"]}
    # found by schemathesis: an empty value is none of the document's (identity= read as
    # false, patient= as no filter): refused; left out, the parameter means "all"
    for url in ("/api/v1/queries?status=", "/api/v1/queries?patient=&cursor=",
                f"/api/v1/fhir/Patient/{clinic.patient.id}/$everything?identity="):
        empty = client.get(url, headers=headers)
        assert empty.status_code == 422, url
        said = empty.get_json()
        said = said["errors"].values() if "errors" in said else [
            issue["diagnostics"] for issue in said["issue"][1:]]
        assert "a value, or leave it out" in next(iter(said))
    assert client.get("/api/v1/queries", headers=headers).status_code == 200


def test_options_answers_whatever_the_parameters(client, bearer):
    response = client.options("/api/v1/queries?status=open", headers=bearer("coordinator"))
    assert response.status_code == 204 and "GET" in response.headers["Allow"]


def test_the_api_speaks_to_a_program_not_a_browser(client):
    """Found trying the API as a new user would: a 401 said "…or your browser doesn't
    understand how to supply the credentials required"."""
    refused = client.get("/api/v1/patients", headers={"Authorization": "Bearer nonsense"})
    assert refused.status_code == 401
    assert refused.get_json()["message"].startswith("No valid API token: send Authorization")
    assert "browser" not in client.get("/api/v1/no-such-thing").get_json()["message"]
