"""A query parameter the API does not know is refused by name, not ignored: ignored, a
misspelt filter would answer with every row as if it had filtered."""

from __future__ import annotations

from clinic.api.base import _openapi_path
from clinic.api.openapi import openapi_document, query_names


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
