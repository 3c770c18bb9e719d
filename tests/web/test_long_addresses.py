"""An address longer than MAX_URL_LENGTH: 414 in the app's words, as each reader reads
them (JSON under /api/, an OperationOutcome under the FHIR base, a page elsewhere, the
patient's page under /r/), before a token or a log-in is asked for. (A real gunicorn,
which refused such addresses itself: tests/test_gunicorn_conf.py.)"""

from __future__ import annotations

from clinic.web.guards import url_length

LIMIT = 4096  # MAX_URL_LENGTH's default


def _padded(path: str, length: int) -> str:
    """``path?q=xxx…``, ``length`` characters in all."""
    start = f"{path}?q="
    return start + "x" * (length - len(start))


def test_an_over_long_api_address_is_a_json_414(client):
    answer = client.get(_padded("/api/v1/patients", LIMIT + 1))
    assert answer.status_code == 414 and answer.mimetype == "application/json"
    assert answer.json["message"] == (
        "The address is 4,097 characters long, longer than the 4,096 this server takes: "
        "shorten its query (the part after '?').")


def test_an_over_long_fhir_address_is_an_operation_outcome(client, clinic):
    answer = client.get(_padded(f"/api/v1/fhir/Patient/{clinic.patient.id}", 5000))
    assert answer.status_code == 414 and answer.mimetype == "application/fhir+json"
    issue = answer.json["issue"][0]
    assert issue["code"] == "too-long" and "5,000 characters long" in issue["diagnostics"]


def test_an_over_long_page_address_is_the_apps_error_page(client):
    for path in ("/patients", "/no-such-page"):
        answer = client.get(_padded(path, 5000))
        assert answer.status_code == 414 and answer.mimetype == "text/html", path
        page = answer.get_data(as_text=True)
        assert "Request URI Too Long · clinic" in page and "5,000 characters long" in page


def test_an_over_long_patient_link_is_the_patients_own_page(client):
    answer = client.get(_padded("/r/unknown-link", 5000))
    assert answer.status_code == 414
    assert "Your answer could not be read" in answer.get_data(as_text=True)


def test_an_address_of_the_limit_is_read(client):
    assert client.get(_padded("/api/v1/patients", LIMIT)).status_code == 401  # (no token)
    assert client.get(_padded("/patients", LIMIT)).status_code == 302  # (to the log-in)


def test_the_length_is_that_of_the_address_as_sent_else_rebuilt():
    assert url_length({"RAW_URI": "/a%20b?c=d", "PATH_INFO": "/a b"}) == 10
    assert url_length({"REQUEST_URI": "/a?b", "PATH_INFO": "/a"}) == 4
    assert url_length({"SCRIPT_NAME": "/app", "PATH_INFO": "/a", "QUERY_STRING": "b=c"}) == 10
    assert url_length({"PATH_INFO": "/a", "QUERY_STRING": ""}) == 2
