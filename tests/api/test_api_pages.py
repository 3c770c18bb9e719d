"""The API's patient list a page at a time: following the Link headers gives every
patient once, in study-code order; bad limits and forged cursors get a 422 naming the
field; a nurse's pages hold her site only."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from clinic.db import get_engine
from clinic.demo.bulk import bulk_seed
from clinic.models import Patient, User
from tests.web.test_study_filters import second_study


def _walk(client, headers, url: str) -> list[str]:
    codes = []
    for _ in range(100):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_json()
        codes += [p["study_code"] for p in response.get_json()]
        link = response.headers.get("Link")
        if link is None:
            return codes
        assert link.endswith('>; rel="next"')
        url = link[1:link.index(">")].replace("http://localhost", "")
    raise AssertionError("the pages never ended")


def test_the_pages_hold_every_patient_once_in_order(app, client, clinic, bearer):
    with Session(get_engine(app)) as session:
        bulk_seed(session, 45, code="APIP")
        session.commit()
        every = sorted(session.exec(select(Patient.study_code)).all())
        nurse = session.get(User, clinic.users["nurse"].id)
        own = sorted(session.exec(select(Patient.study_code).where(
            Patient.site_id == nurse.site_id)).all())
    assert _walk(client, bearer("coordinator"), "/api/v1/patients?limit=7") == every
    assert _walk(client, bearer("nurse"), "/api/v1/patients?limit=5") == own
    assert _walk(client, bearer("coordinator"), "/api/v1/patients?limit=500") == every


@pytest.mark.parametrize("query, field", [("limit=0", "limit"), ("limit=501", "limit"),
                                          ("limit=ten", "limit"), ("limit=1.5", "limit"),
                                          ("cursor=garbage", "cursor"),
                                          ("cursor=WyJ4IiwgInkiXQ", "cursor"),
                                          ("cursor=bnVsbA", "cursor")])
def test_bad_limits_and_cursors_are_refused_by_field(client, clinic, bearer, query, field):
    response = client.get(f"/api/v1/patients?{query}", headers=bearer("coordinator"))
    assert response.status_code == 422
    assert field in str(response.get_json())


def test_the_api_patient_list_is_kept_to_the_study_asked(client, clinic, app, bearer):
    other = second_study(app)
    listed = client.get("/api/v1/patients?study=OTHER&limit=100", headers=bearer("coordinator"))
    assert listed.status_code == 200
    assert {p["study_code"] for p in listed.get_json()} == other
    unknown = client.get("/api/v1/patients?study=NOPE", headers=bearer("coordinator"))
    assert unknown.status_code == 422
    assert "No study 'NOPE'" in unknown.get_json()["errors"]["study"]
