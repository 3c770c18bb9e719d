"""The version rule as a property, over every correction path (forms and API): after any
request, a record's version changed if and only if audit events were written for it,
and a saved correction raises the version by exactly one. Random corrections, some
changing nothing, some changing one field, some invalid."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import Session

from clinic.auth.tokens import create_token
from clinic.db import get_engine
from clinic.followup.service import record_follow_up
from clinic.models import (
    AdverseEvent,
    Assessment,
    AuditEvent,
    Patient,
    PatientIdentity,
    Procedure,
)
from clinic.safety.service import record_adverse_event
from tests.factories import assessments_of
from tests.web.helpers import login

pytestmark = pytest.mark.slow


@dataclass
class Path:
    name: str
    model: Any
    record_id: Callable[[], int]
    request: Callable[[Any, Any, dict[str, Any], str], Any]  # (client, db, record, kind)


def _audit_count(db) -> int:
    db.expire_all()
    return db.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def _setup(app, clinic) -> dict[str, int]:
    with Session(get_engine(app), expire_on_commit=False) as session:
        done = assessments_of(session, clinic.patient)[0]
        record_follow_up(session, assessment=done, entries={"vas": 6}, mode="in_clinic",
                         actor_id=None)
        procedure = session.execute(select(Procedure).where(
            Procedure.patient_id == clinic.patient.id)).scalars().first()
        event = record_adverse_event(session, patient=clinic.patient, event_type="hematoma",
                                     onset_on=procedure.performed_at.date(), severity="mild")
        identity = session.execute(select(PatientIdentity).where(
            PatientIdentity.patient_id == clinic.patient.id)).scalars().one()
        _row, token = create_token(session, user=clinic.users["coordinator"], name="probe")
        session.commit()
        return {"done": done.id, "procedure": procedure.id, "event": event.id,
                "identity": identity.id, "patient": clinic.patient.id, "token": token}


def _pick(kind: str, same: Any, changed: Any, bad: Any) -> Any:
    return {"same": same, "change": changed, "invalid": bad}[kind]


def _paths(ids: dict[str, Any], bearer: dict[str, str]) -> list[Path]:
    def patient_form(client, db, p, kind):
        return client.post(f"/patients/{p.id}/edit", data={
            "sex": p.sex, "age_at_enrollment": str(p.age_at_enrollment),
            "bmi": str(_pick(kind, p.bmi, (p.bmi or 25) + 0.5, "abc")),
            "symptom_duration_months": "" if p.symptom_duration_months is None else str(
                p.symptom_duration_months),
            "diagnosis": p.diagnosis or "", "version": str(p.version), "reason": "probe"})

    def contact_form(client, db, i, kind):
        return client.post(f"/patients/{i.patient_id}/contact", data={
            "name": i.name, "mrn": i.mrn or "", "phone": _pick(kind, i.phone or "",
                                                              (i.phone or "") + "1", "x" * 41),
            "email": i.email or "", "reminder_consent": "yes" if i.reminder_consent else "",
            "version": str(i.version), "reason": "probe"})

    def scores_api(client, db, a, kind):
        current = client.get(f"/api/v1/assessments/{a.id}", headers=bearer).get_json()
        assert "scores" in current, current
        now = next(s["value"] for s in current["scores"] if s["instrument"] == "vas")
        value = {"same": now, "change": 10 - now, "invalid": 11}[kind]
        return client.put(f"/api/v1/assessments/{a.id}/scores", headers=bearer, json={
            "version": a.version, "mode": "in_clinic", "entries": {"vas": value},
            "reason": "probe"})

    def procedure_api(client, db, p, kind):
        body = client.get(f"/api/v1/patients/{p.patient_id}/procedures",
                          headers=bearer).get_json()[0]
        body = {k: v for k, v in body.items() if k not in ("id", "patient_id", "warnings")}
        body["operative_time_min"] = _pick(kind, body["operative_time_min"],
                                           (body["operative_time_min"] or 10) + 1, -5)
        return client.put(f"/api/v1/procedures/{p.id}", headers=bearer,
                          json={**body, "reason": "probe", "confirm_warnings": True})

    def reschedule_form(client, db, p, kind):
        page = client.get(f"/procedures/{p.id}/reschedule").get_data(as_text=True)
        when = page.split('name="performed_at" value="')[1].split('"')[0]
        new = when[:-2] + ("31" if when[-2:] != "31" else "32")
        return client.post(f"/procedures/{p.id}/reschedule", data={
            "performed_at": _pick(kind, when, new, "2026-99-99T99:99"),
            "version": str(p.version), "reason": "probe"})

    def event_api(client, db, e, kind):
        return client.put(f"/api/v1/adverse-events/{e.id}", headers=bearer, json={
            "version": e.version, "reason": "probe", "is_related": e.is_related,
            "severity": _pick(kind, e.severity,
                              "moderate" if e.severity == "mild" else "mild", "huge"),
            "resolved_on": e.resolved_on.isoformat() if e.resolved_on else None,
            "notes": e.notes})

    return [
        Path("patient form", Patient, lambda: ids["patient"], patient_form),
        Path("contact form", PatientIdentity, lambda: ids["identity"], contact_form),
        Path("scores API", Assessment, lambda: ids["done"], scores_api),
        Path("procedure API", Procedure, lambda: ids["procedure"], procedure_api),
        Path("reschedule form", Procedure, lambda: ids["procedure"], reschedule_form),
        Path("adverse event API", AdverseEvent, lambda: ids["event"], event_api),
    ]


def test_a_version_changes_exactly_when_an_audit_event_is_written(app, clinic, db):
    ids = _setup(app, clinic)
    bearer = {"Authorization": f"Bearer {ids['token']}"}
    client = app.test_client()
    login(client, clinic.users["coordinator"])
    paths = _paths(ids, bearer)
    outcomes: Counter[tuple[str, str, int]] = Counter()

    @settings(max_examples=400, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(path=st.sampled_from(paths), kind=st.sampled_from(["same", "change", "invalid"]),
           stale=st.integers(0, 5), _round=st.integers(0, 20))
    def correct(path: Path, kind: str, stale: int, _round: int) -> None:
        events = _audit_count(db)
        record = db.get(path.model, path.record_id())
        db.refresh(record)
        version = record.version
        db.expunge(record)  # a copy to build the request from; the test changes nothing
        if stale == 0:  # now and then a stale version: must be a conflict, nothing stored
            record.version = version - 1 if version > 1 else version + 7
        response = path.request(client, db, record, kind)
        db.expire_all()
        after = db.get(path.model, path.record_id()).version
        written = _audit_count(db) - events
        outcomes[(path.name, kind, response.status_code)] += 1
        assert response.status_code < 500
        assert (after != version) == (written > 0), (path.name, kind, response.status_code)
        if response.status_code in (200, 302):
            assert after == version + 1 and written > 0
        else:
            assert after == version and written == 0

    correct()
    saved = sum(n for (_p, _k, s), n in outcomes.items() if s in (200, 302))
    print(f"\nversion/audit property: {sum(outcomes.values())} corrections over {len(paths)} "
          f"paths, {saved} saved, 0 version changes without an audit event")
    assert {p for p, _k, _s in outcomes} == {p.name for p in paths}
