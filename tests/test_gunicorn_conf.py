"""gunicorn.conf.py: gunicorn lets an over-long address through to the app, which refuses
it (414) in its own words, not in gunicorn's HTML page; up to gunicorn's ceiling."""

from __future__ import annotations

import http.client
import json
import runpy
from pathlib import Path

import pytest

from clinic.config import DEFAULTS
from tests.served import ROOT, gunicorn

CEILING = 8190  # gunicorn's longest request line short of "no limit"


def _gunicorn_setting(name: str) -> object:
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))[name]


def test_gunicorn_reads_longer_request_lines_than_the_app_takes():
    """A request line holds the method and the HTTP version beside the address; gunicorn
    reads a longer limit as its ceiling, and 0 as none at all."""
    longest_line = len("OPTIONS ") + DEFAULTS["MAX_URL_LENGTH"] + len(" HTTP/1.1")
    assert longest_line < _gunicorn_setting("limit_request_line") <= CEILING


def _get(port: int, path: str) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, answer.getheader("Content-Type") or "", answer.read()
    finally:
        connection.close()


@pytest.mark.slow
def test_an_over_long_address_is_refused_by_the_app_in_its_own_words(app, clinic,
                                                                     engine_kind,
                                                                     tmp_path: Path):
    """Found trying the API as a client would: a 5,000-character query was gunicorn's
    "414 URI Too Long" HTML page, also under /api/ and the FHIR base (gunicorn's default
    limit, 4,094 bytes, is below the app's)."""
    if engine_kind != "sqlite":
        pytest.skip("gunicorn's request line does not depend on the database")
    query = "?q=" + "x" * 5000
    with gunicorn(app, tmp_path / "gunicorn.log", "--workers", "1") as (_server, port):
        api = _get(port, f"/api/v1/patients{query}")
        fhir = _get(port, f"/api/v1/fhir/Patient/{clinic.patient.id}{query}")
        page = _get(port, f"/patients{query}")
        beyond = _get(port, "/api/v1/patients?q=" + "x" * CEILING)
    assert api[:2] == (414, "application/json")
    assert json.loads(api[2])["message"].startswith("The address is 5,0")
    assert fhir[:2] == (414, "application/fhir+json")
    assert json.loads(fhir[2])["issue"][0]["code"] == "too-long"
    assert page[0] == 414 and page[1].startswith("text/html")
    assert b"Request URI Too Long \xc2\xb7 clinic" in page[2]  # the app's page
    assert beyond[0] == 414 and b"clinic" not in beyond[2]  # gunicorn's, as README says
