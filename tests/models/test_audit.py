"""Every create, update and delete of clinical data writes audit events, in one transaction."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from clinic.audit import REDACTED, set_actor
from clinic.followup.service import record_follow_up
from clinic.models import (
    AdverseEvent,
    AuditEvent,
    Enrollment,
    Injectate,
    Medication,
    Patient,
    PatientIdentity,
    Procedure,
    ProcedureTarget,
    RootLaterality,
    Score,
    ScoreSection,
    Screening,
    ScreeningAnswer,
)
from clinic.models.assessment import Assessment
from clinic.models.base import Audited
from clinic.safety.service import record_adverse_event
from tests.factories import assessments_of, make_patient, make_procedure, make_study, make_user

FIELD_TO_CHANGE = {
    "patient": "bmi", "patient_identity": "phone", "root_laterality": "laterality",
    "screening": "is_eligible", "screening_answer": "answer", "enrollment": "stratum",
    "procedure": "operative_time_min", "procedure_target": "side", "injectate": "drug",
    "assessment": "mode", "score": "value", "score_section": "value",
    "medication": "daily_dose_mg", "adverse_event": "severity",
}
AUDITED = [Patient, PatientIdentity, RootLaterality, Screening, ScreeningAnswer, Enrollment,
           Procedure, ProcedureTarget, Injectate, Assessment, Score, ScoreSection, Medication,
           AdverseEvent]


def _events(session: Session, entity: str, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.entity == entity,
                                                      AuditEvent.action == action)).all())


@pytest.fixture
def clinical_record(session: Session):
    nurse = make_user(session, "nurse")
    set_actor(session, nurse.id, "baseline visit")
    study = make_study(session)
    patient, _ = make_patient(session, study)
    make_procedure(session, patient)
    baseline = assessments_of(session, patient)[0]
    record_follow_up(session, assessment=baseline, entries={"vas": 7, "odi": [3] * 10},
                     mode="in_clinic", actor_id=nurse.id)
    session.add(Medication(assessment_id=baseline.id, med_class="opioid", drug="tramadol",
                           daily_dose_mg=100))
    record_adverse_event(session, patient=patient, event_type="hematoma",
                         onset_on=date(2026, 1, 16), severity="mild")
    session.commit()
    return nurse, patient


def test_every_clinical_model_is_audited():
    assert all(issubclass(model, Audited) for model in AUDITED)


@pytest.mark.parametrize("model", AUDITED, ids=lambda m: m.__tablename__)
def test_create_update_delete_each_write_an_event(session, clinical_record, model):
    nurse, _ = clinical_record
    created = _events(session, model.__tablename__, "create")
    assert created, f"no create event for {model.__tablename__}"
    row = session.exec(select(model)).first()
    field = FIELD_TO_CHANGE[model.__tablename__]
    old = getattr(row, field)
    new = _changed(model, field, old)
    set_actor(session, nurse.id, "correction after source check")
    setattr(row, field, new)
    session.add(row)
    session.commit()
    update = _events(session, model.__tablename__, "update")[-1]
    assert (update.field, update.user_id, update.reason) == (
        field, nurse.id, "correction after source check")
    if model is PatientIdentity:
        assert update.old_value == update.new_value == REDACTED
    else:
        assert update.new_value == str(new)
    _delete_leaf(session, model, row)


def _changed(model: type, field: str, old: object) -> object:
    choices = {"mode": "phone" if old != "phone" else "in_clinic", "phone": "+00 2",
               "severity": "severe", "laterality": "bilateral",
               "side": "left" if old != "left" else "right",
               "drug": "bupivacaine" if old != "bupivacaine" else "lidocaine",
               "stratum": "punctures_3_4", "name": "Someone Else",
               "value": 4 if model is not Score else 3.0}
    if field in choices:
        return choices[field]
    if isinstance(old, bool):
        return not old
    if isinstance(old, int | float):
        return old + 1
    return "changed"


def _delete_leaf(session: Session, model: type, row: object) -> None:
    if model not in (ScoreSection, Medication, AdverseEvent, RootLaterality, Injectate):
        return
    session.delete(row)
    session.commit()
    deleted = _events(session, model.__tablename__, "delete")
    assert deleted and deleted[-1].old_value


def test_audit_rows_roll_back_with_the_change(session, clinical_record):
    _, patient = clinical_record
    before = len(session.exec(select(AuditEvent)).all())
    patient.bmi = 31.0
    session.add(patient)
    session.flush()
    assert len(session.exec(select(AuditEvent)).all()) == before + 1
    session.rollback()
    assert len(session.exec(select(AuditEvent)).all()) == before


def test_identity_values_never_reach_the_audit_trail(session, clinical_record):
    for event in _events(session, "patient_identity", "create"):
        assert event.new_value == REDACTED
        assert "Test Patient" not in (event.new_value or "")


CHILDREN = {
    ProcedureTarget: ("procedure", "procedure_id"),
    Injectate: ("procedure", "procedure_id"),
    ScoreSection: ("score", "score_id"),
    Medication: ("assessment", "assessment_id"),
    RootLaterality: ("patient", "patient_id"),
    ScreeningAnswer: ("screening", "screening_id"),
    Score: ("assessment", "assessment_id"),  # its history section its own, found by its visit
}


@pytest.mark.parametrize("model", list(CHILDREN), ids=lambda m: m.__tablename__)
def test_a_child_rows_events_name_its_parent_also_after_delete(session, clinical_record, model):
    parent_table, column = CHILDREN[model]
    assert model.__audit_parent__ == (parent_table, column)
    row = session.exec(select(model)).first()
    row_id, parent_id = row.id, getattr(row, column)
    session.delete(row)
    session.commit()
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == model.__tablename__,
                                                   AuditEvent.entity_id == row_id)).all()
    assert {e.action for e in events} == {"create", "delete"}
    assert {(e.parent_entity, e.parent_id) for e in events} == {(parent_table, parent_id)}


def test_records_of_their_own_name_no_parent(session, clinical_record):
    events = session.exec(select(AuditEvent).where(
        AuditEvent.entity.in_(["patient", "procedure", "assessment"]))).all()
    assert events and {(e.parent_entity, e.parent_id) for e in events} == {(None, None)}
