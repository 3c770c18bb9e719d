"""The database itself refuses bad values, on both engines, and nothing partial is stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from clinic.models import (
    Assessment,
    AuditEvent,
    Injectate,
    Patient,
    Procedure,
    Score,
    ScoreSection,
    Study,
)
from tests.factories import assessments_of, make_patient, make_procedure, make_study


@pytest.fixture
def scheduled(session: Session) -> tuple[Patient, Assessment, Procedure]:
    study = make_study(session)
    patient, _ = make_patient(session, study)
    procedure = make_procedure(session, patient)
    session.commit()
    return patient, assessments_of(session, patient)[1], procedure


def _refused(session: Session, *objects: object, match: str) -> None:
    with pytest.raises(IntegrityError, match=match):
        for obj in objects:
            session.add(obj)
        session.flush()
    session.rollback()


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_vas_above_10_is_refused(session, scheduled):
    _, assessment, _ = scheduled
    bad = Score(assessment_id=assessment.id, instrument="vas", value=11, mode="phone")
    _refused(session, bad, match="value_in_range")
    assert _count(session, Score) == 0


def test_satisfaction_must_be_a_whole_level(session, scheduled):
    _, assessment, _ = scheduled
    bad = Score(assessment_id=assessment.id, instrument="satisfaction_results", value=2.5,
                mode="phone")
    _refused(session, bad, match="value_in_range")


def test_odi_section_of_6_is_refused_and_the_total_is_not_left_behind(session, scheduled):
    _, assessment, _ = scheduled
    audit_before = _count(session, AuditEvent)
    score = Score(assessment_id=assessment.id, instrument="odi", value=40, raw_sum=20,
                  answered=10, mode="in_clinic")
    session.add(score)
    session.flush()
    _refused(session, ScoreSection(score_id=score.id, section=1, value=6), match="value_range")
    assert _count(session, Score) == 0  # the whole transaction is gone
    assert _count(session, AuditEvent) == audit_before


def test_dlp_on_an_ultrasound_procedure_is_refused(session, scheduled):
    patient, _, _ = scheduled
    bad = Procedure(patient_id=patient.id, performed_at=datetime(2026, 2, 1, tzinfo=UTC),
                    modality="ultrasound", procedure_type="tfesi", punctures=1, dlp_mgy_cm=300)
    _refused(session, bad, match="ct_dose_modality")
    assert _count(session, Procedure) == 1


def test_dap_on_a_ct_procedure_is_refused(session, scheduled):
    patient, _, _ = scheduled
    bad = Procedure(patient_id=patient.id, performed_at=datetime(2026, 2, 1, tzinfo=UTC),
                    modality="ct", procedure_type="tfesi", punctures=1, dap_mgy_cm2=300)
    _refused(session, bad, match="dap_modality")


def test_duplicate_study_code_is_refused(session, scheduled):
    _refused(session, Study(code="DEMO", title="again", design="x"),
             match="uq_study_code|study.code")


def test_duplicate_patient_study_code_in_one_study_is_refused(session, scheduled):
    patient, _, _ = scheduled
    twin = Patient(study_id=patient.study_id, study_code=patient.study_code,
                   site_id=patient.site_id, sex="male", age_at_enrollment=40)
    _refused(session, twin, match="uq_patient_study_id|patient.study_id, patient.study_code")


def test_negative_dose_is_refused(session, scheduled):
    _, _, procedure = scheduled
    bad = Injectate(procedure_id=procedure.id, drug="dexamethasone", dose_mg=-8)
    _refused(session, bad, match="dose_mg_(non_negative|range)")


def test_negative_operative_time_is_refused(session, scheduled):
    _, _, procedure = scheduled
    procedure.operative_time_min = -1
    _refused(session, procedure, match="operative_time_min_(non_negative|range)")


def test_foreign_keys_are_enforced(session, scheduled):
    _refused(session, Score(assessment_id=999_999, instrument="vas", value=3, mode="phone"),
             match="(?i)foreign key")


def test_not_done_needs_a_reason(session, scheduled):
    _, assessment, _ = scheduled
    assessment.state = "not_done"
    _refused(session, assessment, match="not_done_has_reason")


def test_a_window_must_contain_its_target_date(session, scheduled):
    _, assessment, _ = scheduled
    assessment.window_open = assessment.target_date.replace(year=assessment.target_date.year + 1)
    _refused(session, assessment, match="window_order")
