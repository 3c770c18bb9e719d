"""API: a study from the same protocol document as the file, as JSON; read it back."""

from __future__ import annotations

import tomllib
from pathlib import Path

from sqlmodel import func, select

from clinic.models import Study

PROTOCOLS = Path(__file__).resolve().parents[2] / "docs" / "protocols"


def _document(name: str) -> dict:
    return tomllib.loads((PROTOCOLS / name).read_text(encoding="utf-8"))


def test_a_coordinator_creates_a_study_and_reads_its_protocol(client, bearer, db):
    headers = bearer("coordinator")
    document = _document("us-vs-fluoroscopy.toml")
    created = client.post("/api/v1/studies?draft=true", headers=headers, json=document)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["status"] == "planning"
    protocol = client.get("/api/v1/studies/USFL/protocol", headers=headers).get_json()
    assert protocol["code"] == "USFL" and protocol["measures"][1]["strata"] == ["cervical"]
    again = client.post("/api/v1/studies", headers=headers, json=protocol | {"code": "USFL2"})
    assert again.status_code == 201
    assert client.get("/api/v1/studies/USFL2/protocol",
                      headers=headers).get_json() == protocol | {"code": "USFL2"}


def test_a_broken_document_is_refused_with_the_field(client, bearer, db):
    document = _document("us-mri-fusion-registry.toml")
    document["timepoints"][2]["window_after_days"] = -3
    refused = client.post("/api/v1/studies", headers=bearer("admin"), json=document)
    assert refused.status_code == 422
    assert "timepoints[2].window_after_days" in refused.get_json()["errors"]
    assert db.exec(select(func.count()).select_from(Study)).one() == 1  # the clinic's own


def test_only_coordinators_and_admins_create_studies(client, bearer):
    refused = client.post("/api/v1/studies", headers=bearer("nurse"),
                          json=_document("ct-vs-fluoroscopy.toml"))
    assert refused.status_code == 403
    assert client.get("/api/v1/studies/NOPE/protocol", headers=bearer("nurse")).status_code == 404


def test_a_body_that_is_not_json_is_said_to_be_so(client, bearer, db):
    """Found attacking the API: malformed JSON, NaN or 10**400 read as '(document): must
    be an object/table'; nesting thousands deep was parsed by a recursive reader."""
    headers = {**bearer("admin"), "Content-Type": "application/json"}
    for text, said in (('{"code": "X",', "it is not JSON"), ('{"code": NaN}', "NaN"),
                       ("[" * 5000 + "]" * 5000, "too deeply"),
                       ('{"a": ' + "[" * 5000 + "]" * 5000 + "}", "too deeply")):
        refused = client.post("/api/v1/studies", headers=headers, data=text)
        assert refused.status_code == 422, (text[:20], refused.status_code)
        message = refused.get_json()["errors"]["body"]
        assert message.startswith("Send a JSON object") and said in message, message
    assert db.exec(select(func.count()).select_from(Study)).one() == 1
