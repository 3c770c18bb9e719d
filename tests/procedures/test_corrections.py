"""Correcting a recorded procedure: what changes, what is audited, what is refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from clinic.exceptions import ConflictError, ValidationError
from clinic.followup.service import record_follow_up
from clinic.models import AuditEvent, Injectate, ProcedureTarget
from clinic.procedures.corrections import correct_procedure, recorded_input
from clinic.procedures.inputs import InjectateInput, TargetInput
from tests.factories import assessments_of, make_patient, make_procedure, make_study

ZONE = "Europe/Berlin"


@pytest.fixture
def recorded(session):
    patient, _ = make_patient(session, make_study(session), enrolled_on=date(2026, 1, 5))
    procedure = make_procedure(session, patient, when=datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    session.commit()
    return patient, procedure


def _correct(session, patient, procedure, data, reason="Typed from the wrong sheet"):
    return correct_procedure(session, patient=patient, procedure=procedure, data=data,
                             read_version=procedure.version, reason=reason, actor_id=None,
                             timezone=ZONE)


def test_the_recorded_input_reads_back_what_was_recorded(session, recorded):
    _, procedure = recorded
    data = recorded_input(session, procedure)
    assert data.dap_mgy_cm2 == 350.0 and data.targets == (TargetInput("L4-L5", "bilateral"),)
    assert data.injectates[1] == InjectateInput("dexamethasone", dose_mg=8.0)


def test_a_changed_dose_is_one_audited_field_with_the_reason(session, recorded):
    patient, procedure = recorded
    data = replace(recorded_input(session, procedure), dap_mgy_cm2=305.0)
    assert _correct(session, patient, procedure, data) == ["dap_mgy_cm2"]
    session.commit()
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "procedure",
                                                  AuditEvent.action == "update")).one()
    assert (event.field, event.old_value, event.new_value) == ("dap_mgy_cm2", "350.0", "305.0")
    assert event.reason == "Typed from the wrong sheet" and procedure.version == 2


def test_replaced_injectates_are_audited_under_the_procedure(session, recorded):
    patient, procedure = recorded
    data = replace(recorded_input(session, procedure),
                   injectates=(InjectateInput("dexamethasone", dose_mg=4.0),))
    assert _correct(session, patient, procedure, data) == ["injectates"]
    session.commit()
    rows = session.exec(select(Injectate).where(Injectate.procedure_id == procedure.id)).all()
    assert [(r.drug, r.dose_mg) for r in rows] == [("dexamethasone", 4.0)]
    events = session.exec(select(AuditEvent).where(AuditEvent.parent_entity == "procedure",
                                                   AuditEvent.parent_id == procedure.id)
                          .order_by(AuditEvent.id)).all()
    actions = [(e.entity, e.action) for e in events if e.reason]
    assert actions == [("injectate", "delete")] * 2 + [("injectate", "create")]
    # the targets were not touched: only their creation at recording time is there
    assert [e.action for e in events if e.entity == "procedure_target"] == ["create"]
    assert session.exec(select(ProcedureTarget)).one().level == "L4-L5"


def test_a_new_date_moves_the_pending_follow_ups_only(session, recorded):
    patient, procedure = recorded
    baseline = assessments_of(session, patient)[0]
    record_follow_up(session, assessment=baseline, entries={"vas": 7}, mode="in_clinic",
                     actor_id=None)
    before = {a.id: a.target_date for a in assessments_of(session, patient)}
    data = replace(recorded_input(session, procedure),
                   performed_at=datetime(2026, 1, 20, 9, 0, tzinfo=UTC))
    assert _correct(session, patient, procedure, data) == ["performed_at"]
    after = {a.id: a.target_date for a in assessments_of(session, patient)}
    assert after[baseline.id] == before[baseline.id]
    assert {after[i] - before[i] for i in before if i != baseline.id} == {timedelta(days=5)}


def test_the_same_values_are_refused_as_nothing_changed(session, recorded):
    patient, procedure = recorded
    with pytest.raises(ValidationError) as refused:
        _correct(session, patient, procedure, recorded_input(session, procedure))
    assert refused.value.errors == {"reason": "Nothing was changed."}


def test_a_correction_needs_a_reason(session, recorded):
    patient, procedure = recorded
    data = replace(recorded_input(session, procedure), punctures=3)
    with pytest.raises(ValidationError) as refused:
        _correct(session, patient, procedure, data, reason=" ")
    assert "reason" in refused.value.errors


def test_invalid_values_are_refused_before_anything_changes(session, recorded):
    patient, procedure = recorded
    data = replace(recorded_input(session, procedure), modality="ct")  # DAP stays: refused
    with pytest.raises(ValidationError) as refused:
        _correct(session, patient, procedure, data)
    assert set(refused.value.errors) == {"dap_mgy_cm2", "fluoroscopy_time_s"}
    session.rollback()
    assert procedure.modality == "fluoroscopy" and procedure.version == 1


def test_a_stale_version_is_a_conflict(session, recorded):
    patient, procedure = recorded
    data = replace(recorded_input(session, procedure), punctures=3)
    with pytest.raises(ConflictError):
        correct_procedure(session, patient=patient, procedure=procedure, data=data,
                          read_version=procedure.version - 1, reason="Late edit",
                          actor_id=None, timezone=ZONE)


# Found by fuzzing and by trying the screens as a new user would: each was stored.

def test_a_procedure_before_the_enrollment_is_refused(session, recorded):
    patient, _procedure = recorded  # enrolled 2026-01-05
    with pytest.raises(ValidationError) as refused:
        make_procedure(session, patient, when=datetime(2026, 1, 4, 12, 0, tzinfo=UTC))
    assert "before the patient's enrollment (2026-01-05)" in refused.value.errors["performed_at"]
    make_procedure(session, patient, when=datetime(2026, 1, 5, 12, 0, tzinfo=UTC))  # that day


@pytest.mark.parametrize("how", ["correction", "reschedule"])
def test_a_procedure_does_not_move_past_its_recorded_follow_ups(session, recorded, how):
    from clinic.procedures.service import reschedule_procedure

    patient, procedure = recorded  # 2026-01-15; its 1-day visit recorded on 2026-01-16
    day_1 = assessments_of(session, patient)[1]
    record_follow_up(session, assessment=day_1, entries={"vas": 5}, mode="phone",
                     actor_id=None, collected_at=datetime(2026, 1, 16, 10, 0, tzinfo=UTC))
    later = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)
    with pytest.raises(ValidationError) as refused:
        if how == "correction":
            _correct(session, patient, procedure,
                     replace(recorded_input(session, procedure), performed_at=later))
        else:
            reschedule_procedure(session, patient=patient, procedure=procedure,
                                 performed_at=later, read_version=procedure.version,
                                 reason="Wrong day", actor_id=None, timezone=ZONE)
    assert "recorded on 2026-01-16" in refused.value.errors["performed_at"]
    session.rollback()
    earlier = replace(recorded_input(session, procedure),
                      performed_at=datetime(2026, 1, 14, 9, 0, tzinfo=UTC))
    assert _correct(session, patient, procedure, earlier) == ["performed_at"]


def test_a_procedure_names_at_least_one_target(session, recorded):
    patient, _procedure = recorded
    with pytest.raises(ValidationError) as refused:
        make_procedure(session, patient, targets=())
    assert "at least one target level" in refused.value.errors["targets"]


def test_a_level_and_side_entered_twice_is_refused_naming_the_first(session, recorded):
    """Found attacking the procedure form: L4-L5 left twice was stored and shown as
    'L4–L5 left; L4–L5 left'. The same level on the other side is another target."""
    patient, _procedure = recorded
    with pytest.raises(ValidationError) as refused:
        make_procedure(session, patient, targets=(
            TargetInput("L4-L5", "left"), TargetInput("L4-L5", "right"),
            TargetInput("L4-L5", "left")))
    assert set(refused.value.errors) == {"targets.2.level"}
    assert "already target 1" in refused.value.errors["targets.2.level"]
    session.rollback()
    with pytest.raises(ValidationError) as overlapping:  # found re-checking, through the API
        make_procedure(session, patient, targets=(
            TargetInput("L4-L5", "left"), TargetInput("L4-L5", "bilateral")))
    assert "overlaps target 1 (L4-L5 left)" in overlapping.value.errors["targets.1.level"]
    session.rollback()
    make_procedure(session, patient, targets=(TargetInput("L4-L5", "bilateral"),
                                              TargetInput("L5-S1", "left"),
                                              TargetInput("L4-L5", "midline")))


@pytest.mark.parametrize("how", ["correction", "reschedule"])
def test_the_queries_on_a_moved_procedure_name_its_new_day(session, recorded, how):
    from clinic.procedures.service import reschedule_procedure
    from clinic.queries.service import raise_query

    patient, procedure = recorded
    q = raise_query(session, table="procedure", row_id=procedure.id, field="dap_mgy_cm2",
                    text="DAP from the dose report?", actor_id=None)
    session.commit()
    assert q.label == "Procedure of 2026-01-15: DAP (mGy·cm²)"
    day = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)
    if how == "correction":
        _correct(session, patient, procedure,
                 replace(recorded_input(session, procedure), performed_at=day))
    else:
        reschedule_procedure(session, patient=patient, procedure=procedure, performed_at=day,
                             read_version=procedure.version, reason="Wrong day",
                             actor_id=None, timezone=ZONE)
    session.commit()
    session.refresh(q)
    assert q.label == "Procedure of 2026-01-14: DAP (mGy·cm²)"
