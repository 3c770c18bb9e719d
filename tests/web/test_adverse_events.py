"""Following an adverse event up: reason, version, resolution date after the onset."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from clinic.models import AdverseEvent, AuditEvent, Patient
from clinic.safety.service import record_adverse_event
from tests.web.helpers import login


@pytest.fixture
def event(clinic, db) -> AdverseEvent:
    patient = db.get(Patient, clinic.patient.id)
    recorded = record_adverse_event(db, patient=patient, event_type="transient_headache",
                                    onset_on=clinic.due.target_date, severity="mild")
    db.commit()
    return recorded


def test_resolving_an_event_keeps_the_old_values_and_the_reason(client, clinic, db, event):
    login(client, clinic.users["nurse"])
    resolved = (event.onset_on + timedelta(days=2)).isoformat()
    response = client.post(f"/adverse-events/{event.id}/edit", data={
        "severity": "moderate", "is_related": "yes", "resolved_on": resolved, "notes": "",
        "version": str(event.version), "reason": "Phone follow-up"})
    assert response.status_code == 302
    db.expire_all()
    updated = db.get(AdverseEvent, event.id)
    assert updated.is_resolved and updated.severity == "moderate"
    change = db.exec(select(AuditEvent).where(AuditEvent.entity == "adverse_event",
                                              AuditEvent.field == "severity")).one()
    assert (change.old_value, change.new_value, change.reason) == ("mild", "moderate",
                                                                   "Phone follow-up")


def test_resolution_before_onset_and_stale_versions_are_refused(client, clinic, db, event):
    login(client, clinic.users["coordinator"])
    early = (event.onset_on - timedelta(days=1)).isoformat()
    response = client.post(f"/adverse-events/{event.id}/edit", data={
        "severity": "mild", "is_related": "yes", "resolved_on": early,
        "version": str(event.version), "reason": "Check"})
    assert response.status_code == 422
    response = client.post(f"/adverse-events/{event.id}/edit", data={
        "severity": "severe", "is_related": "no", "resolved_on": "",
        "version": str(event.version + 5), "reason": "Check"})
    assert response.status_code == 409
    db.expire_all()
    assert db.get(AdverseEvent, event.id).severity == "mild"
