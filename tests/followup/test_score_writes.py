"""A save's scores and ODI sections are written by Core INSERTs (clinic.followup.service
._store), not by the unit of work: the rows and their audit events must be the ones the
flush wrote, and nothing may be audited that was rolled back."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlmodel import select

from clinic.exceptions import ValidationError
from clinic.followup.service import record_follow_up
from clinic.models import AuditEvent, Score, ScoreSection

ODI = [3, 2, 4, 3, 1, 2, 3, None, 2, 4]


def _stored(session, table: str, ids: list[int]) -> dict[int, dict]:
    rows = session.connection().execute(
        text(f"SELECT * FROM {table} WHERE id IN ({', '.join(map(str, ids))})")).mappings()
    return {row["id"]: dict(row) for row in rows}


def _created(session, entity: str) -> dict[int, AuditEvent]:
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == entity,
                                                   AuditEvent.action == "create")).all()
    return {e.entity_id: e for e in events}


def _instant(value) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_every_score_and_section_has_one_create_event_holding_the_row_as_stored(
        session, visits):
    scores = record_follow_up(session, assessment=visits[0], actor_id=None, mode="phone",
                              entries={"vas": 7, "odi": ODI, "ome": 10})
    session.commit()
    ids = [s.id for s in scores]
    stored = _stored(session, "score", ids)
    assert sorted(stored) == sorted(ids) and len(ids) == 3
    events = _created(session, "score")
    assert sorted(events) == sorted(ids)
    for key, row in stored.items():
        snapshot = json.loads(events[key].new_value)
        assert set(snapshot) == set(row), "every column, as the flush listener wrote"
        assert _instant(snapshot.pop("collected_at")) == _instant(row.pop("collected_at"))
        assert snapshot == row
        assert (events[key].parent_entity, events[key].parent_id) == (  # found by the visit
            "assessment", visits[0].id)
    odi = next(s for s in scores if s.instrument == "odi")
    section_ids = list(session.exec(select(ScoreSection.id).where(
        ScoreSection.score_id == odi.id)))
    assert len(section_ids) == 9, "the unanswered section is not stored"
    section_events = _created(session, "score_section")
    assert sorted(section_events) == sorted(section_ids)
    for key, row in _stored(session, "score_section", section_ids).items():
        assert json.loads(section_events[key].new_value) == row
        assert (section_events[key].parent_entity, section_events[key].parent_id) == (
            "score", odi.id)


def test_the_scores_returned_are_the_rows_stored(session, visits):
    scores = record_follow_up(session, assessment=visits[0], actor_id=None, mode="phone",
                              entries={"vas": 4, "odi": ODI})
    assert not session.new and not session.dirty, "nothing left for a flush to write"
    loaded = session.exec(select(Score).where(Score.assessment_id == visits[0].id)).all()
    columns = [c.key for c in Score.__table__.columns if c.key != "collected_at"]
    assert sorted(tuple(getattr(s, c) for c in columns) for s in scores) == sorted(
        tuple(getattr(s, c) for c in columns) for s in loaded)
    assert {s.instrument: s.value for s in loaded} == {"vas": 4, "odi": 53.33}


def test_a_refused_flush_leaves_no_event_for_the_rows_it_rolled_back(session, visits):
    """The visit's flush runs after the scores are inserted; when it refuses (here the
    value guard: a visit day out of any range), the savepoint takes the rows back and
    their pending audit events are forgotten, not written by a later flush."""
    with pytest.raises(ValidationError), session.begin_nested():
        record_follow_up(session, assessment=visits[0], actor_id=None, mode="phone",
                         entries={"vas": 7, "odi": ODI}, visit_on=date(1800, 1, 1))
    session.expire_all()
    assert session.exec(select(Score)).all() == []
    record_follow_up(session, assessment=visits[1], actor_id=None, mode="phone",
                     entries={"vas": 5})
    session.commit()
    kept = set(session.exec(select(Score.id)))
    assert set(_created(session, "score")) == kept and len(kept) == 1
    assert _created(session, "score_section") == {}


def test_events_left_without_a_flush_are_written_at_commit(session, visits):
    """audit_inserted's rows wait for the next flush; a commit with none to come writes
    them before it ends."""
    from clinic.audit import audit_inserted

    row = {"assessment_id": visits[0].id, "instrument": "vas", "value": 3.0, "mode": "phone",
           "collected_at": datetime(2026, 1, 5, 9, tzinfo=UTC)}
    row["id"] = session.connection().execute(
        Score.__table__.insert().returning(Score.__table__.c.id), row).scalar_one()
    audit_inserted(session, (Score, [row]))
    session.commit()
    assert list(_created(session, "score")) == [row["id"]]
