"""Fixtures of the screens' tests (the app, the small clinic and the logins are in
tests/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clinic.models import AdverseEvent, Patient
from clinic.safety.service import record_adverse_event


@pytest.fixture
def event(clinic, db) -> AdverseEvent:
    """A mild transient headache of the clinic's patient, five days before the visit due."""
    patient = db.get(Patient, clinic.patient.id)
    recorded = record_adverse_event(db, patient=patient, event_type="transient_headache",
                                    onset_on=clinic.due.target_date - timedelta(days=5),
                                    severity="mild")
    db.commit()
    return recorded
