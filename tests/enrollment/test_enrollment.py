"""Screening, concealed randomization and enrollment against the database."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlmodel import Session, select

from clinic.demo.protocol import DEMO_STUDY
from clinic.enrollment.exceptions import NotEligible, SequenceError
from clinic.enrollment.inputs import PatientInput
from clinic.enrollment.randomization import allocation_balance, generate_allocation_sequence
from clinic.enrollment.service import enroll, screen, withdraw
from clinic.exceptions import ValidationError
from clinic.models import AllocationSlot, Assessment, AuditEvent, Enrollment, Patient, StudyArm
from clinic.protocol.definition import ArmDefinition
from clinic.studies.setup import create_study
from tests.factories import assessments_of, eligible_answers, make_patient, make_site, make_study


def _slots(session: Session, study_id: int) -> list[tuple[str, int, str]]:
    rows = session.exec(select(AllocationSlot.stratum, AllocationSlot.position, StudyArm.code)
                        .join(StudyArm, StudyArm.id == AllocationSlot.arm_id)
                        .where(AllocationSlot.study_id == study_id)
                        .order_by(AllocationSlot.stratum, AllocationSlot.position)).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_an_ineligible_patient_is_refused_with_the_failing_criteria_named(session):
    study = make_study(session)
    site = make_site(session)
    answers = eligible_answers() | {"vas_5_plus": False, "pregnancy": True}
    screening, problems = screen(session, study=study, site_id=site.id, answers=answers,
                                 actor_id=None)
    assert problems == ["VAS score of 5 or more", "Pregnancy"]
    with pytest.raises(NotEligible) as refused:
        enroll(session, study=study, screening=screening,
               patient=PatientInput("X-1", "male", age_at_enrollment=40), identity=None,
               factors={"punctures": 2}, enrolled_on=date(2026, 1, 1), actor_id=None)
    assert "VAS score of 5 or more" in str(refused.value) and "Pregnancy" in str(refused.value)
    assert session.exec(select(Patient)).all() == []
    assert screening.is_eligible is False  # counted as a screen failure


def test_unanswered_criteria_make_the_candidate_ineligible(session):
    study = make_study(session)
    answers = eligible_answers() | {"red_flags": None}
    _, problems = screen(session, study=study, site_id=make_site(session).id, answers=answers,
                         actor_id=None)
    assert problems == [
        "Red-flag symptoms such as cauda equina syndrome or persistent fever (not asked)"]


def test_the_sequence_is_reproducible_from_its_seed(session):
    study = make_study(session, seed=2026)
    first = _slots(session, study.id)
    generate_allocation_sequence(session, study, seed=2026, slots_per_stratum=40)
    assert _slots(session, study.id) == first
    generate_allocation_sequence(session, study, seed=2027, slots_per_stratum=40)
    assert _slots(session, study.id) != first
    assert study.randomization_seed == 2027


def test_enrollments_take_the_next_slot_and_stay_balanced_within_a_block(session):
    study = make_study(session, seed=11)
    sequence = {(s, p): arm for s, p, arm in _slots(session, study.id)}
    arms = {a.id: a.code for a in session.exec(select(StudyArm))}
    for i in range(30):
        punctures = (1, 3, 5)[i % 3]
        _, enrollment = make_patient(session, study, punctures=punctures)
        stratum = enrollment.stratum
        position = Counter(e.stratum for e in session.exec(select(Enrollment)))[stratum]
        assert arms[enrollment.arm_id] == sequence[(stratum, position)]
    for row in allocation_balance(session, study):
        assert row.imbalance <= 3  # half the largest block (6)
    audited = session.exec(select(AuditEvent).where(AuditEvent.entity == "enrollment")).all()
    assert len(audited) == 30


def test_the_sequence_cannot_be_regenerated_once_used(session):
    study = make_study(session)
    make_patient(session, study)
    with pytest.raises(SequenceError):
        generate_allocation_sequence(session, study, seed=99)


def test_three_arm_studies_allocate_by_their_ratio(session):
    definition = DEMO_STUDY.__class__(**{
        **DEMO_STUDY.__dict__, "code": "THREE",
        "arms": (ArmDefinition("FL", "Fluoroscopy", "fluoroscopy"),
                 ArmDefinition("CT", "CT", "ct"),
                 ArmDefinition("US", "Ultrasound", "ultrasound", ratio=2))})
    study = create_study(session, definition)
    generate_allocation_sequence(session, study, seed=5, slots_per_stratum=48)
    counts = Counter(arm for stratum, _, arm in _slots(session, study.id)
                     if stratum == "punctures_1_2")
    assert counts["US"] == counts["FL"] + counts["CT"]


def test_a_stratum_value_outside_the_bins_is_a_field_error(session):
    study = make_study(session)
    with pytest.raises(ValidationError) as refused:
        make_patient(session, study, punctures=9)
    assert "punctures" in refused.value.errors["stratum"]


def test_enrollment_plans_the_baseline_and_withdrawal_closes_pending_visits(session):
    study = make_study(session)
    patient, enrollment = make_patient(session, study, enrolled_on=date(2026, 1, 10))
    (baseline,) = assessments_of(session, patient)
    assert baseline.target_date == date(2026, 1, 10)
    withdraw(session, enrollment=enrollment, reason="Moved away", actor_id=None)
    assert session.get(Assessment, baseline.id).not_done_reason == "Withdrawn: Moved away"
    with pytest.raises(ValidationError):
        withdraw(session, enrollment=enrollment, reason="again", actor_id=None)
