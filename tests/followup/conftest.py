"""Follow-up fixtures: a patient of a fresh study, treated, with the visits scheduled."""

from __future__ import annotations

import pytest

from tests.factories import assessments_of, make_patient, make_procedure, make_study


@pytest.fixture
def visits(session):
    patient, _ = make_patient(session, make_study(session))
    make_procedure(session, patient)
    session.commit()
    return assessments_of(session, patient)
