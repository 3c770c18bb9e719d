"""clinic.audit.insert_audited: rows written by one Core INSERT get the create events
the flush would have written for the same objects, and a bad value stores nothing."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from clinic.audit import insert_audited, set_actor
from clinic.exceptions import ValidationError
from clinic.models import AuditEvent, ProcedureTarget


def _creates(session, entity: str) -> list[AuditEvent]:
    session.commit()  # with no flush to come, the events are written before the commit
    return list(session.exec(select(AuditEvent).where(AuditEvent.entity == entity,
                                                      AuditEvent.action == "create")
                             .order_by(AuditEvent.entity_id)).all())


def test_the_events_equal_those_of_the_same_rows_flushed_as_objects(session, clinic):
    set_actor(session, clinic.users["nurse"].id, "targets")
    procedure_id = clinic.due.procedure_id
    flushed = ProcedureTarget(procedure_id=procedure_id, level="L4-L5", side="left")
    session.add(flushed)
    session.flush()
    rows = [{"procedure_id": procedure_id, "level": "L5-S1", "side": "right"}]
    insert_audited(session, ProcedureTarget, rows, key=("level", "side"))
    by_id = {e.entity_id: e for e in _creates(session, "procedure_target")}
    orm, core = by_id[flushed.id], by_id[rows[0]["id"]]
    assert set(json.loads(orm.new_value)) == set(json.loads(core.new_value))
    assert json.loads(core.new_value) == {"id": rows[0]["id"], **rows[0]}
    for name in ("parent_entity", "parent_id", "user_id", "reason", "field", "old_value"):
        assert getattr(core, name) == getattr(orm, name), name


def test_a_missing_column_is_refused_before_anything_is_written(session, clinic):
    before = len(_creates(session, "procedure_target"))
    with pytest.raises(ValueError, match="side missing"):
        insert_audited(session, ProcedureTarget,
                       [{"procedure_id": clinic.due.procedure_id, "level": "L5-S1"}],
                       key=("level",))
    assert len(_creates(session, "procedure_target")) == before


def test_a_bad_value_is_refused_before_anything_is_written(session, clinic):
    with pytest.raises(ValidationError):
        insert_audited(session, ProcedureTarget,
                       [{"procedure_id": clinic.due.procedure_id, "level": "x" * 50,
                         "side": "left"}], key=("level",))
    assert session.exec(select(ProcedureTarget).where(
        ProcedureTarget.level == "x" * 50)).first() is None


def test_the_events_held_survive_the_automatic_queries_savepoint_rolled_back(session,
                                                                           clinic):
    """Rows a Core INSERT wrote keep their create events, held for the next flush, when
    the automatic queries' savepoint rolls back (a query raised at the same instant by
    the nightly job: the save goes on without it, clinic.queries.rules)."""
    from sqlalchemy.exc import IntegrityError

    from clinic.models import DataQuery
    from clinic.queries.rules import RULES, Finding, _raise_all

    patient = clinic.due.patient_id
    study = clinic.patient.study_id
    taken = DataQuery(study_id=study, patient_id=patient, target_table="assessment",
                      target_id=clinic.due.id, field="visit_on", label="a visit",
                      value_when_raised="2026-01-01", text="raised at night",
                      rule=RULES[0].code, rule_key="out_of_window:assessment:1:visit_on")
    session.add(taken)
    session.commit()
    set_actor(session, clinic.users["nurse"].id, "targets")
    rows = [{"procedure_id": clinic.due.procedure_id, "level": "L3-L4", "side": "left"}]
    insert_audited(session, ProcedureTarget, rows, key=("level", "side"))  # events held
    finding = Finding("a visit", "assessment", clinic.due.id, "visit_on", study, patient,
                      clinic.due.id, "2026-01-01", "raised by the save")
    with pytest.raises(IntegrityError):
        _raise_all(session, [(taken.rule_key, RULES[0], finding)])
    creates = _creates(session, "procedure_target")
    assert rows[0]["id"] in [e.entity_id for e in creates], "the target's event was lost"


@pytest.mark.parametrize("savepoint", ["released", "rolled back"])
def test_rows_inserted_in_a_savepoint_have_events_as_long_as_they_exist(session, clinic,
                                                                      savepoint):
    set_actor(session, clinic.users["nurse"].id, "targets")
    procedure = clinic.due.procedure_id
    before = [{"procedure_id": procedure, "level": "L2-L3", "side": "left"}]
    insert_audited(session, ProcedureTarget, before, key=("level", "side"))
    inside = [{"procedure_id": procedure, "level": "L1-L2", "side": "right"}]
    try:
        with session.begin_nested():
            insert_audited(session, ProcedureTarget, inside, key=("level", "side"))
            if savepoint == "rolled back":
                raise RuntimeError("the savepoint's work failed")
    except RuntimeError:
        pass
    events = {e.entity_id for e in _creates(session, "procedure_target")}
    stored = set(session.exec(select(ProcedureTarget.id)).all())
    assert before[0]["id"] in events
    assert (inside[0]["id"] in events) == (savepoint == "released")
    assert events == stored, "an event for every row, and for no row that is not"
