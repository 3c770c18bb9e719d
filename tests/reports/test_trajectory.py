"""The per-patient trajectory chart for the patient page."""

from __future__ import annotations

from sqlmodel import select

from clinic.models import Patient
from clinic.reports.data import patient_scores
from clinic.reports.trajectory import trajectory_svg
from tests.reports.helpers import GAP_STUDY, populate


def test_trajectory_chart_is_svg_of_the_patients_outcomes(session):
    populate(session, GAP_STUDY, 2)
    patient = session.exec(select(Patient).order_by(Patient.id)).first()
    scores = patient_scores(session, patient.id)
    assert set(scores["instrument"]) >= {"vas", "odi"}
    svg = trajectory_svg(scores)
    assert svg.startswith("<svg") and "Pain (VAS)" in svg and "Oswestry" in svg
    assert svg == trajectory_svg(scores)  # deterministic
    assert "No outcome recorded yet" in trajectory_svg(scores.iloc[0:0])
