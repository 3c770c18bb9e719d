"""An audited row's id is never given again once the row is deleted, so that the audit
trail of an id is the story of one record. SQLite hands a new row the largest id + 1:
without AUTOINCREMENT, the newest row deleted gave its id to the next one, and another
patient's score then carried the first one's create and delete events in its trail
(migration 0028). PostgreSQL's sequences never go back."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import select

from clinic.audit import set_actor
from clinic.followup.service import record_follow_up
from clinic.models import AuditEvent, Score, audited_tables
from tests.factories import assessments_of, make_patient, make_procedure, make_study


def _visit(session, study):
    patient, _ = make_patient(session, study)
    make_procedure(session, patient)
    session.commit()
    return assessments_of(session, patient)[0]


def test_a_score_deleted_gives_its_id_to_no_other_score(session):
    study = make_study(session)
    first, second = _visit(session, study), _visit(session, study)
    record_follow_up(session, assessment=first, actor_id=None, mode="phone",
                     entries={"vas": 7})
    session.commit()
    removed = session.exec(select(Score).where(Score.assessment_id == first.id)).one()
    removed_id = removed.id
    set_actor(session, None, "entered on the wrong patient")
    session.delete(removed)  # the newest score of all (as a correction removes one)
    session.commit()
    stored = record_follow_up(session, assessment=second, actor_id=None, mode="phone",
                              entries={"vas": 3})
    session.commit()
    assert stored[0].id != removed_id
    trail = session.exec(select(AuditEvent.action).where(
        AuditEvent.entity == "score", AuditEvent.entity_id == stored[0].id)).all()
    assert trail == ["create"]


def test_every_audited_table_draws_its_ids_from_a_counter_that_never_goes_back(session,
                                                                              engine_kind):
    """SQLite: AUTOINCREMENT (its counter in sqlite_sequence); PostgreSQL: a sequence."""
    if engine_kind == "sqlite":
        schema = dict(session.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
        plain = [t for t in audited_tables() if "AUTOINCREMENT" not in schema[t]]
    else:
        plain = [t for t in audited_tables() if session.execute(text(
            "SELECT pg_get_serial_sequence(:t, 'id')"), {"t": f'"{t}"'}).scalar() is None]
    assert plain == []
