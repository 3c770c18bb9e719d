"""The API's and the FHIR façade's addresses as a client developer tries them: OPTIONS,
a trailing slash, an address that is not there. Always JSON (an OperationOutcome under
the FHIR base), never a page."""

from __future__ import annotations

import pytest

FHIR = "application/fhir+json"


def test_options_says_the_methods_in_the_allow_header_with_no_content(client, bearer,
                                                                      clinic):
    """Found trying the API as a client would: OPTIONS answered 200 with an empty body
    labelled text/html."""
    headers = bearer("coordinator")
    for path, methods in ((f"/api/v1/patients/{clinic.patient.id}", {"GET", "PATCH"}),
                          (f"/api/v1/fhir/Patient/{clinic.patient.id}", {"GET"}),
                          ("/api/v1/openapi.json", {"GET"})):
        answer = client.options(path, headers=headers)
        assert answer.status_code == 204, path
        assert "Content-Type" not in answer.headers and answer.get_data() == b"", path
        allowed = {m.strip() for m in answer.headers["Allow"].split(",")}
        assert allowed >= methods | {"OPTIONS"}, path


def test_options_of_an_address_that_is_not_there_is_a_json_404(client, bearer):
    answer = client.options("/api/v1/no-such-thing", headers=bearer("coordinator"))
    assert answer.status_code == 404 and answer.mimetype == "application/json"
    fhir = client.options("/api/v1/fhir/metadata", headers=bearer("coordinator"))
    assert fhir.status_code == 404 and fhir.mimetype == FHIR


def test_a_fhir_read_with_a_trailing_slash_is_the_same_resource(client, bearer, clinic):
    headers = bearer("coordinator")
    for path in (f"/api/v1/fhir/Patient/{clinic.patient.id}",
                 f"/api/v1/fhir/Patient/{clinic.patient.id}/$everything"):
        plain, slashed = client.get(path, headers=headers), client.get(f"{path}/",
                                                                        headers=headers)
        assert plain.status_code == slashed.status_code == 200, path
        assert slashed.mimetype == FHIR and slashed.json == plain.json, path


@pytest.mark.parametrize("path", ["/api/v1/fhir", "/api/v1/fhir/", "/api/v1/fhir/metadata",
                                  "/api/v1/fhir/metadata/", "/api/v1/fhir/Patient/",
                                  "/api/v1/fhir/Patient/1/history/2"])
def test_an_address_under_the_fhir_base_that_is_not_there_is_an_operation_outcome(
        client, bearer, clinic, path):
    """Found trying the API as a FHIR client would: the FHIR base itself
    (``/api/v1/fhir``) answered in the API's own JSON, which a FHIR client does not read."""
    answer = client.get(path, headers=bearer("coordinator"))
    assert answer.status_code == 404 and answer.mimetype == FHIR
    assert answer.json["resourceType"] == "OperationOutcome"
    assert answer.json["issue"][0]["code"] == "not-found"


@pytest.mark.parametrize("path", ["/api", "/api/", "/api/v1", "/api/v1/", "/api/v2/patients",
                                  "/api/v1/patients/1/nothing/"])
def test_an_address_under_the_api_that_is_not_there_is_a_json_404(client, bearer, path):
    """Found trying the API as a client would: ``/api`` without its slash was the HTML
    page of the screens."""
    answer = client.get(path, headers=bearer("coordinator"))
    assert answer.status_code == 404 and answer.mimetype == "application/json"
    assert answer.json["message"].startswith("No such address in the API")
