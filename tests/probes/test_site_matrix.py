"""Route × role × site: a nurse of the other site reaches none of this site's records,
through any route or method, on pages, downloads and the API; and every role gets
exactly what the role matrix grants when it tries everything (GET and POST)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlmodel import Session, select

from clinic.auth.tokens import create_token
from clinic.db import get_engine
from clinic.models import Procedure, Reminder
from clinic.safety.service import record_adverse_event
from tests.auth.role_matrix import EXPECTED
from tests.web.helpers import login

pytestmark = pytest.mark.slow
PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _north_ids(app, clinic) -> dict[str, object]:
    with Session(get_engine(app)) as session:
        procedure = session.exec(select(Procedure).where(
            Procedure.patient_id == clinic.patient.id)).first()
        event = record_adverse_event(session, patient=clinic.patient, event_type="hematoma",
                                     onset_on=procedure.performed_at.date(), severity="mild")
        reminder = session.exec(select(Reminder).where(
            Reminder.assessment_id == clinic.due.id)).first()
        session.commit()
        return {"patient_id": clinic.patient.id, "assessment_id": clinic.due.id,
                "procedure_id": procedure.id, "event_id": event.id,
                "row_id": reminder.id if reminder else 1, "kind": "reminder",
                "study_id": clinic.study.id, "code": clinic.study.code, "study": clinic.study.code,
                "user_id": clinic.users["nurse"].id, "token_id": 1, "token": "x", "fmt": "pdf",
                "filename": "clinic.css"}


NORTH_RECORD_PARAMS = {"patient_id", "assessment_id", "procedure_id", "event_id"}


def test_a_nurse_of_the_other_site_reaches_no_record_of_this_site(app, clinic, db):
    ids = _north_ids(app, clinic)
    south = app.test_client()
    login(south, clinic.users["nurse_south"])
    tried: Counter[int] = Counter()
    for rule in app.url_map.iter_rules():
        names = set(PARAM.findall(rule.rule))
        if not names & NORTH_RECORD_PARAMS:
            continue
        url = PARAM.sub(lambda m: str(ids[m.group(1)]), rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = south.open(url, method=method, data={"reason": "probe", "version": "1"})
            tried[response.status_code] += 1
            assert response.status_code in (401, 403, 404), (rule.endpoint, method,
                                                               response.status_code)
    with Session(get_engine(app)) as session:
        _row, plain = create_token(session, user=clinic.users["nurse_south"], name="probe")
        session.commit()
    api = app.test_client()
    for path in (f"/api/v1/patients/{clinic.patient.id}",
                 f"/api/v1/patients/{clinic.patient.id}/assessments",
                 f"/api/v1/assessments/{clinic.due.id}",
                 f"/api/v1/patients/{clinic.patient.id}/procedures",
                 f"/api/v1/patients/{clinic.patient.id}/adverse-events"):
        response = api.get(path, headers={"Authorization": f"Bearer {plain}"})
        tried[response.status_code] += 1
        assert response.status_code == 404, path
    code = clinic.patient.study_code
    for page in ("/worklist", "/patients", "/grid", "/reminders/", "/", "/api/v1/patients"):
        client = api if page.startswith("/api/") else south
        headers = {"Authorization": f"Bearer {plain}"} if page.startswith("/api/") else {}
        body = client.get(page, headers=headers).get_data(as_text=True)
        tried[200] += 1
        assert code not in body, page
    print(f"\nsite matrix: {sum(tried.values())} requests by the other site's nurse, "
          f"{dict(sorted(tried.items()))}, 0 reached a record of this site")


@pytest.mark.parametrize("role", ["nurse", "physician", "coordinator", "admin"])
def test_every_route_and_method_answers_by_the_matrix(app, clinic, role):
    """Beyond GET: each route with each of its methods, as each role."""
    ids = _north_ids(app, clinic)
    client = app.test_client()
    login(client, clinic.users[role])
    checked = 0
    for rule in app.url_map.iter_rules():
        expected = EXPECTED[rule.endpoint]
        if expected in ("public", "any_user") or rule.endpoint in ("auth.logout", "static"):
            continue
        url = PARAM.sub(lambda m: str(ids.get(m.group(1), 1)), rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            status = client.open(url, method=method, data={}).status_code
            checked += 1
            if role in expected:
                assert status != 403, (role, rule.endpoint, method)
            else:
                assert status == 403 or (rule.endpoint.startswith("api.") and status == 401), (
                    role, rule.endpoint, method, status)
            assert status < 500
    assert checked > 40
