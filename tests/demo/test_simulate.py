"""study simulate: made-up patients for a synthetic study only, through the services."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import func, select

from clinic.demo.simulate import simulate_study
from clinic.exceptions import ValidationError
from clinic.models import Assessment, Enrollment, Patient, Procedure
from clinic.protocol.protocol_file import read_toml
from clinic.reports.builder import build_report
from clinic.reports.filters import ReportFilters
from clinic.studies.protocols import create_from_document
from tests.factories import make_site

PROTOCOLS = Path(__file__).resolve().parents[2] / "docs" / "protocols"


def _study(db, name: str, synthetic: bool):
    doc = read_toml((PROTOCOLS / name).read_text()).model_copy(update={"synthetic": synthetic})
    make_site(db)
    study = create_from_document(db, doc, draft=False)
    db.commit()
    return study


def _count(db, model, study_id: int) -> int:
    return db.exec(select(func.count()).select_from(model).where(
        model.study_id == study_id)).one()


def test_a_real_study_takes_no_synthetic_patients(db):
    study = _study(db, "us-vs-fluoroscopy.toml", synthetic=False)
    with pytest.raises(ValidationError, match="real patients"):
        simulate_study(db, study, patients=3, seed=1, today=date(2026, 12, 3),
                       timezone="Europe/Berlin")
    db.rollback()
    assert _count(db, Patient, study.id) == 0


def test_a_registry_simulation_feeds_the_matched_comparison(db):
    study = _study(db, "us-mri-fusion-registry.toml", synthetic=True)
    result = simulate_study(db, study, patients=60, seed=3, today=date(2026, 12, 3),
                            timezone="Europe/Berlin")
    db.commit()
    assert result.enrolled == _count(db, Patient, study.id) == 60
    assert sum(result.by_group.values()) == 60 and len(result.by_group) == 2
    unassigned = db.exec(select(func.count()).select_from(Enrollment).where(
        Enrollment.study_id == study.id, Enrollment.arm_id.is_(None))).one()
    assert unassigned == 0, "every patient has a group from the index procedure"
    treated = db.exec(select(func.count()).select_from(Procedure).join(
        Patient, Patient.id == Procedure.patient_id).where(Patient.study_id == study.id)).one()
    assert treated == 60
    completed = db.exec(select(func.count()).select_from(Assessment).join(
        Patient, Patient.id == Assessment.patient_id).where(
        Patient.study_id == study.id, Assessment.state == "completed")).one()
    assert completed == result.follow_ups > 60
    report = build_report(db, study.code, ReportFilters(as_of=date(2026, 12, 3)),
                          timezone="Europe/Berlin")
    titles = [t.title for t in report.tables]
    assert any(t.startswith("Table 7. Propensity-score matching") for t in titles), titles
    assert any(t.startswith("Table 8. Outcomes in the matched sample") for t in titles)


def test_a_randomized_simulation_generates_its_sequence_and_balances_the_arms(db):
    study = _study(db, "us-vs-fluoroscopy.toml", synthetic=True)
    result = simulate_study(db, study, patients=24, seed=5, today=date(2026, 12, 3),
                            timezone="Europe/Berlin")
    db.commit()
    assert set(result.by_group) == {"ultrasound", "fluoroscopy"}
    assert abs(result.by_group["ultrasound"] - result.by_group["fluoroscopy"]) <= 6
