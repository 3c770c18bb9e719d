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
