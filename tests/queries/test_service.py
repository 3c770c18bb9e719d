"""Raising, answering, closing and re-opening a query: the states, the refusals, and an
audit event for every step (with names, in the study-wide audit trail)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from clinic.audit import set_actor
from clinic.audit.trail import AuditFilter, trail_rows
from clinic.db import get_engine
from clinic.exceptions import ValidationError
from clinic.followup.service import record_follow_up
from clinic.locks.service import lock_study
from clinic.models import Assessment, AuditEvent, DataQuery, DataQueryStep, Score, Study
from clinic.queries.service import (
    answer_by_correction,
    answer_query,
    close_query,
    markers,
    open_count,
    queries_of_patient,
    raise_query,
    reopen_query,
)
from clinic.queries.targets import parse_key, resolve


@pytest.fixture
def db(app):
    with Session(get_engine(app), expire_on_commit=False) as session:
        yield session


def _vas(db, clinic, value: float = 7) -> Score:
    due = db.get(Assessment, clinic.due.id)
    set_actor(db, clinic.users["nurse"].id, None)
    record_follow_up(db, assessment=due, entries={"vas": value}, mode="phone",
                     actor_id=clinic.users["nurse"].id)
    db.commit()
    return db.exec(select(Score).where(Score.assessment_id == due.id,
                                       Score.instrument == "vas")).one()


def test_a_query_goes_open_answered_closed_and_back(db, clinic):
    score = _vas(db, clinic)
    monitor, nurse = clinic.users["monitor"], clinic.users["nurse"]
    south, everywhere = open_count(db, site_id=clinic.south.id), open_count(db, site_id=None)
    q = raise_query(db, table="score", row_id=score.id, field="value",
                    text="  VAS 7 but the  note says 3? ", actor_id=monitor.id)
    db.commit()
    assert (q.status, q.text, q.label, q.value_when_raised) == (
        "open", "VAS 7 but the note says 3?", "Pain (VAS) at 1 month", "7")
    assert open_count(db, site_id=clinic.north.id) == 1
    assert open_count(db, site_id=clinic.south.id) == south
    assert open_count(db, site_id=None) == everywhere + 1
    answer_query(db, q, text="Checked the source: 7 is right.", actor_id=nurse.id)
    assert q.status == "answered" and open_count(db, site_id=None) == everywhere
    close_query(db, q, text=None, actor_id=monitor.id)
    assert q.status == "closed"
    reopen_query(db, q, text="The source shows 3 after all.", actor_id=monitor.id)
    assert q.status == "open"
    db.commit()
    steps = db.exec(select(DataQueryStep.step, DataQueryStep.user_id)
                    .where(DataQueryStep.query_id == q.id).order_by(DataQueryStep.id)).all()
    assert steps == [("raised", monitor.id), ("answered", nurse.id), ("closed", monitor.id),
                     ("reopened", monitor.id)]
    assert markers(queries_of_patient(db, clinic.patient.id)) == {
        f"score:{score.id}:value": [q]}


@pytest.mark.parametrize(("step", "status"), [
    (answer_query, "answered"), (answer_query, "closed"), (reopen_query, "open"),
    (close_query, "closed")])
def test_a_step_that_does_not_follow_is_refused_and_nothing_is_stored(db, clinic, step, status):
    score = _vas(db, clinic)
    q = raise_query(db, table="score", row_id=score.id, field="value", text="Why?",
                    actor_id=clinic.users["monitor"].id)
    q.status = status
    db.commit()
    before = db.exec(select(DataQueryStep).where(DataQueryStep.query_id == q.id)).all()
    with pytest.raises(ValidationError, match=f"This query is {status}"):
        step(db, q, text="text", actor_id=clinic.users["coordinator"].id)
    db.rollback()
    assert len(db.exec(select(DataQueryStep).where(DataQueryStep.query_id == q.id)).all()) \
        == len(before)


@pytest.mark.parametrize(("table", "row", "field", "message"), [
    ("score", 10**9, "value", "There is no score"),
    ("score", 1, "collected_by_id", "is not a value that can be queried"),
    ("patient_identity", 1, "name", "is not a value that can be queried"),
    ("procedure", 1, "notes", "is not a value that can be queried"),
])
def test_only_recorded_study_values_can_be_queried(db, clinic, table, row, field, message):
    with pytest.raises(ValidationError, match=message):
        raise_query(db, table=table, row_id=row, field=field, text="?", actor_id=None)


@pytest.mark.parametrize("text", ["", "   ", None, "x" * 1001])
def test_a_query_needs_a_question_of_sensible_length(db, clinic, text):
    with pytest.raises(ValidationError):
        raise_query(db, table="patient", row_id=clinic.patient.id, field="bmi", text=text,
                    actor_id=clinic.users["monitor"].id)


@pytest.mark.parametrize("key", ["", "score", "score:x:value", "score:1", "a:1:b:c",
                                 "score:²:value", "score:٣:value", "score:-1:value",
                                 "score:99999999999999999999999:value", "score:1:value\n"])
def test_a_malformed_target_is_refused(key):
    with pytest.raises(ValidationError, match="record:id:field"):
        parse_key(key)


def test_a_well_formed_target_beyond_any_row_is_no_row():
    """'adverse_event:99999999999:severity' was told to name the value as record:id:field,
    which it did (found trying the API as a new user would)."""
    with pytest.raises(ValidationError, match="There is no score 2147483648"):
        parse_key("score:2147483648:value")
    with pytest.raises(ValidationError, match="There is no adverse_event 99999999999"):
        parse_key("adverse_event:99999999999:severity")


def test_every_step_is_in_the_audit_trail_with_names(db, clinic):
    score = _vas(db, clinic)
    q = raise_query(db, table="score", row_id=score.id, field="value", text="Check?",
                    actor_id=clinic.users["monitor"].id)
    answer_query(db, q, text="Right.", actor_id=clinic.users["nurse"].id)
    close_query(db, q, text="Thanks", actor_id=clinic.users["monitor"].id)
    db.commit()
    rows = trail_rows(db, clinic.study.id, AuditFilter(entity="data_query_step"),
                      zone="Europe/Berlin")
    cells = [r.cells("Europe/Berlin") for r in rows]
    cells = [c for c in cells if c[4] == clinic.patient.study_code]
    assert [(c[3], c[4], c[10]) for c in reversed(cells)] == [
        ("Test monitor", clinic.patient.study_code, "Data query raised on Pain (VAS) at 1 month"),
        ("Test nurse", clinic.patient.study_code, f"Data query #{q.id} answered"),
        ("Test monitor", clinic.patient.study_code, f"Data query #{q.id} closed")]


def test_a_query_can_be_raised_on_locked_data_and_answering_by_correction_is_refused(
        db, clinic):
    score = _vas(db, clinic)
    lock_study(db, db.get(Study, clinic.study.id), actor_id=clinic.users["coordinator"].id)
    db.commit()
    q = raise_query(db, table="score", row_id=score.id, field="value", text="Check?",
                    actor_id=clinic.users["monitor"].id)
    answer_query(db, q, text="The value is right.", actor_id=clinic.users["nurse"].id)
    db.commit()
    assert q.status == "answered"


def test_answering_by_correction_skips_other_patients_and_answered_queries(db, clinic):
    score = _vas(db, clinic)
    q = raise_query(db, table="score", row_id=score.id, field="value", text="Check?",
                    actor_id=clinic.users["monitor"].id)
    assert answer_by_correction(db, q.id, patient_id=clinic.other.id, reason="r",
                                actor_id=None) is None
    assert answer_by_correction(db, None, patient_id=clinic.patient.id, reason="r",
                                actor_id=None) is None
    assert answer_by_correction(db, q.id, patient_id=clinic.patient.id, reason="typo",
                                actor_id=clinic.users["nurse"].id) is q
    assert q.status == "answered"
    assert answer_by_correction(db, q.id, patient_id=clinic.patient.id, reason="again",
                                actor_id=None) is None
    last = db.exec(select(DataQueryStep).where(DataQueryStep.query_id == q.id)
                   .order_by(col(DataQueryStep.id).desc())).first()
    assert last.text == "Corrected, with the reason: typo"
    assert db.exec(select(AuditEvent).where(AuditEvent.entity == "data_query",
                                            AuditEvent.entity_id == q.id)).first()
    assert db.exec(select(DataQuery).where(DataQuery.patient_id == clinic.patient.id)).all() \
        == [q]


def test_the_same_question_twice_on_a_value_is_refused_while_the_first_is_not_closed(db,
                                                                                    clinic):
    """Found attacking the queries: a monitor could raise one identical query per post
    (18 were open at once on one visit date)."""
    score = _vas(db, clinic)
    monitor = clinic.users["monitor"]
    first = raise_query(db, table="score", row_id=score.id, field="value",
                        text="VAS 7 but the note says 3?", actor_id=monitor.id)
    db.commit()
    for again in (" VAS 7 but the  note says 3? ", "vas 7 but the note says 3"):
        with pytest.raises(ValidationError, match=f"Query #{first.id} asks this already"):
            raise_query(db, table="score", row_id=score.id, field="value",
                        text=again, actor_id=monitor.id)
        db.rollback()
    other = raise_query(db, table="score", row_id=score.id, field="value",
                        text="Was the VAS read from the paper sheet?", actor_id=monitor.id)
    close_query(db, first, text="Asked twice", actor_id=monitor.id)
    again = raise_query(db, table="score", row_id=score.id, field="value",
                        text="VAS 7 but the note says 3?", actor_id=monitor.id)
    db.commit()
    assert len({first.id, other.id, again.id}) == 3


def test_an_unanswered_query_is_closed_only_with_a_note_saying_why(db, clinic):
    """A query closed before any answer (raised in error, settled by telephone) says why
    in the trail; an answered one may be closed without a word."""
    score = _vas(db, clinic)
    monitor = clinic.users["monitor"]
    q = raise_query(db, table="score", row_id=score.id, field="value", text="Why 7?",
                    actor_id=monitor.id)
    db.commit()
    for note in (None, "  "):
        with pytest.raises(ValidationError, match="Say why it is closed without an answer"):
            close_query(db, q, text=note, actor_id=monitor.id)
        db.rollback()
    assert db.get(DataQuery, q.id).status == "open"
    close_query(db, q, text="Raised on the wrong visit", actor_id=monitor.id)
    db.commit()
    steps = db.exec(select(DataQueryStep.step, DataQueryStep.text)
                    .where(DataQueryStep.query_id == q.id).order_by(DataQueryStep.id)).all()
    assert steps[-1] == ("closed", "Raised on the wrong visit")


def test_the_queries_on_an_event_are_named_as_it_reads_after_a_correction(db, clinic, event):
    """Found trying the screens as a new user would: a query raised on 'Transient headache
    of …' kept that name after the event was corrected to a hematoma a day earlier."""
    from datetime import timedelta

    from clinic.safety.service import correct_adverse_event

    monitor = clinic.users["monitor"]
    q = raise_query(db, table="adverse_event", row_id=event.id, field="severity",
                    text="Mild, with a hospital stay?", actor_id=monitor.id)
    db.commit()
    assert q.label.startswith("Adverse event Transient headache of ")
    onset = event.onset_on - timedelta(days=1)
    correct_adverse_event(db, event=event, read_version=event.version, severity="mild",
                          is_related=False, resolved_on=None, notes=None,
                          reason="Wrong type entered", actor_id=clinic.users["nurse"].id,
                          event_type="hematoma", onset_on=onset)
    db.commit()
    db.refresh(q)
    assert q.label == f"Adverse event Hematoma of {onset:%Y-%m-%d}: severity"
    assert q.value_when_raised == "Mild"  # what was asked about stays as it was
    events = db.exec(select(AuditEvent).where(AuditEvent.entity == "data_query",
                                              AuditEvent.field == "label")).all()
    assert [e.reason for e in events] == ["Wrong type entered"]  # audited with its reason


def test_a_dose_a_modality_does_not_record_cannot_be_queried(db, clinic):
    """Found trying the API as a new user would: a query on the DAP of a CT procedure was
    raised on "(blank)", a value that procedure can never hold."""
    from clinic.models import Procedure

    procedure = db.exec(select(Procedure).where(
        Procedure.patient_id == clinic.patient.id)).first()
    assert procedure.modality == "fluoroscopy"
    with pytest.raises(ValidationError, match="records no CTDIvol"):
        resolve(db, "procedure", procedure.id, "ctdivol_mgy")
    assert resolve(db, "procedure", procedure.id, "dap_mgy_cm2").value != "(blank)"


def test_a_querys_line_breaks_are_kept_and_its_spacing_tidied(db, clinic):
    """Found trying the screens as a new user would: a question written on two lines was
    shown on one."""
    score = _vas(db, clinic)
    monitor = clinic.users["monitor"]
    q = raise_query(db, table="score", row_id=score.id, field="value", actor_id=monitor.id,
                    text="VAS 7 on the sheet?\r\n\r\n  The   note says 3.  \n")
    db.commit()
    assert db.get(DataQuery, q.id).text == "VAS 7 on the sheet?\nThe note says 3."
    with pytest.raises(ValidationError, match="asks this already"):
        raise_query(db, table="score", row_id=score.id, field="value", actor_id=monitor.id,
                    text="VAS 7 on the sheet? The note says 3.")
    db.rollback()
