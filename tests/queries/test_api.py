"""Data queries by API: raise, read, answer, close, re-open; a page at a time with a
constant number of statements; clear refusals."""

from __future__ import annotations

import re

from sqlmodel import Session

from clinic.db import get_engine
from clinic.models import Patient
from clinic.queries.service import raise_query
from tests.scale.conftest import recorded


def _raise(app, clinic, n: int) -> None:
    with Session(get_engine(app)) as db:
        for i in range(n):
            raise_query(db, table="patient", row_id=clinic.patient.id, field="bmi",
                        text=f"BMI check {n}-{i}", actor_id=clinic.users["monitor"].id)
        db.commit()


def _every_page(client, headers, url: str) -> tuple[list[dict], int]:
    found, pages = [], 0
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.json
        found += response.json
        pages += 1
        link = response.headers.get("Link")
        url = re.search(r"<([^>]+)>", link).group(1) if link else None
    return found, pages


def test_raise_answer_close_reopen_by_api(client, clinic, bearer):
    monitor, nurse = bearer("monitor"), bearer("nurse")
    made = client.post("/api/v1/queries", headers=monitor, json={
        "target": f"patient:{clinic.patient.id}:bmi", "text": "BMI 45 plausible?"})
    assert made.status_code == 201, made.json
    q = made.json
    assert (q["status"], q["label"], q["study_code"], q["steps"][0]["by"]) == (
        "open", "Baseline: BMI", clinic.patient.study_code, "Test monitor")
    assert q["value_now"] == q["value_when_raised"]
    answered = client.post(f"/api/v1/queries/{q['id']}/answer", headers=nurse,
                           json={"text": "Measured twice."})
    assert answered.status_code == 200 and answered.json["status"] == "answered"
    again = client.post(f"/api/v1/queries/{q['id']}/answer", headers=nurse,
                        json={"text": "Again."})
    assert again.status_code == 422 and "answered" in again.json["errors"]["status"]
    assert client.post(f"/api/v1/queries/{q['id']}/close", headers=nurse,
                       json={}).status_code == 403
    closed = client.post(f"/api/v1/queries/{q['id']}/close", headers=monitor, json={})
    assert closed.json["status"] == "closed"
    reopened = client.post(f"/api/v1/queries/{q['id']}/reopen", headers=monitor, json={})
    assert reopened.status_code == 422 and "re-opened" in reopened.json["errors"]["text"]
    reopened = client.post(f"/api/v1/queries/{q['id']}/reopen", headers=monitor,
                           json={"text": "Source says 35"})
    assert [s["step"] for s in reopened.json["steps"]] == ["raised", "answered", "closed",
                                                           "reopened"]


def test_bad_requests_are_refused_clearly(client, clinic, bearer):
    monitor = bearer("monitor")
    cases = [({"target": "patient:1:name", "text": "x"}, 422),
             ({"target": "score:99999999:value", "text": "x"}, 422),
             ({"target": f"patient:{clinic.patient.id}:bmi", "text": ""}, 422),
             ({"target": f"patient:{clinic.patient.id}:bmi"}, 422),
             ({"target": f"patient:{clinic.patient.id}:bmi", "text": "x", "extra": 1}, 422),
             ({"target": "DROP TABLE", "text": "x"}, 422)]
    for payload, status in cases:
        response = client.post("/api/v1/queries", headers=monitor, json=payload)
        assert response.status_code == status, (payload, response.json)
        assert response.json["message"]
    assert client.post("/api/v1/queries", headers=bearer("nurse"), json=cases[0][0]) \
        .status_code == 403
    for query in ("status=bogus", "patient=abc", "site=abc", "patient=99999999999999999999",
                  "cursor=Wzk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5XQ", "limit=0"):
        response = client.get(f"/api/v1/queries?{query}", headers=monitor)
        assert response.status_code == 422 and response.json["errors"], query
    assert client.get("/api/v1/queries/99999999", headers=monitor).status_code == 404


def test_a_nurse_gets_her_sites_queries_only(client, clinic, app, bearer):
    with Session(get_engine(app)) as db:
        raise_query(db, table="patient", row_id=clinic.other.id, field="bmi", text="South?",
                    actor_id=clinic.users["monitor"].id)
        db.commit()
    _raise(app, clinic, 1)
    found, _ = _every_page(client, bearer("nurse"), "/api/v1/queries?limit=1")
    with Session(get_engine(app)) as db:
        sites = {db.get(Patient, q["patient_id"]).site_id for q in found}
    assert sites == {clinic.north.id}
    other = client.get(f"/api/v1/queries?patient={clinic.other.id}", headers=bearer("nurse"))
    nobody = client.get("/api/v1/queries?patient=999999", headers=bearer("nurse"))
    # another site's patient reads as no patient at all: the same answer, nothing disclosed
    assert other.status_code == nobody.status_code == 422
    assert other.get_json()["errors"]["patient"].replace(str(clinic.other.id), "N") == \
        nobody.get_json()["errors"]["patient"].replace("999999", "N")


def test_pages_cover_every_query_once_in_a_constant_number_of_statements(
        client, clinic, app, bearer):
    headers = bearer("monitor")
    client.get("/api/v1/queries", headers=headers)  # the token's first use is noted once
    counts = []
    for more in (10, 30):
        _raise(app, clinic, more)
        with recorded(app) as rec:
            response = client.get("/api/v1/queries?limit=100", headers=headers)
        assert response.status_code == 200
        counts.append(len(rec.statements))
    assert counts[0] == counts[1], counts
    found, pages = _every_page(client, headers, "/api/v1/queries?limit=7")
    ids = [q["id"] for q in found]
    assert len(ids) == len(set(ids)) and len(ids) >= 40 and pages == -(-len(ids) // 7)
    assert ids == sorted(ids, reverse=True)


def test_the_openapi_document_lists_the_query_operations(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert set(paths["/queries"]) == {"get", "post"}
    assert "Link" in paths["/queries"]["get"]["responses"]["200"]["headers"]
    for step in ("answer", "close", "reopen"):
        assert "post" in paths[f"/queries/{{query_id}}/{step}"]
