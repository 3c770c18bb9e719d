"""A follow-up save is a short transaction with a bounded number of SQL statements: the
scores and their sections in one INSERT (clinic.followup.service._store), the audit rows
of the save in one INSERT, the session with its user and the visit with its patient read
in one query each, the study's protocol (timepoint and measures) read at most once
although three steps ask for it, and not at all where the process keeps the study's
measures under the revision read with the visit
(clinic.followup.service._measure_rules).

PostgreSQL runs 7 statements in 8 round trips (BEGIN and COMMIT are one each), in one
transaction: the session with its user (clinic.auth.current); the visit with its
patient, timepoint, index procedure and its study's measures revision (the study's
measures too, a statement more, on the first save of a process or after a change of
them); the lock guard's shared advisory locks on the visit, the patient and the study
(so that no lock is set while the save is under way) and, in the same round trip (a
pipeline: clinic.followup.completion), one statement that completes the visit (its
version checked and raised) unless one of them is locked and cancels the visit's pending
reminders and self-report messages; the scores and their sections (one statement,
clinic.models.inserts.insert_family); the audit rows; and the VAS-change rule's read of
the patient's VAS (clinic.queries.rules: an ordinary visit, inside its window with every
section answered, runs no other rule). SQLite 12: the session with its user read in
autocommit, outside the save's transaction (its write lock, taken when it begins, would
keep the session row from being marked seen), its BEGIN IMMEDIATE, no advisory locks,
the lock question, the visit's UPDATE, the two cancellations and the scores and the
sections each a statement of their own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from clinic.db import get_engine
from tests.scale.conftest import recorded
from tests.web.helpers import login, odi_form

ODI = [2, 1, 2, 1, 1, 2, 1, 1, 2, 3]


def test_a_follow_up_save_runs_a_bounded_number_of_statements(client, clinic, app):
    from clinic.followup import service

    login(client, clinic.users["nurse"])
    client.get(f"/followup/{clinic.due.id}")  # the form: the process keeps the measures
    form = {"mode": "in_clinic", "vas": "4", "version": str(clinic.due.version),
            "satisfaction_results": "satisfied", **odi_form(ODI)}
    in_autocommit: list[str] = []

    def note_autocommit(conn, _cursor, statement, _parameters, _context, _many):  # type: ignore[no-untyped-def]
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            in_autocommit.append(" ".join(statement.split()).split(" FROM ")[1].split()[0])

    event.listen(get_engine(app), "before_cursor_execute", note_autocommit)
    try:
        with recorded(app) as rec:
            response = client.post(f"/followup/{clinic.due.id}", data=form)
    finally:
        event.remove(get_engine(app), "before_cursor_execute", note_autocommit)
    assert response.status_code == 302
    statements = [s for s, _ in rec.statements]
    in_its_own = {"postgresql": [], "sqlite": ["user_session"]}[get_engine(app).dialect.name]
    assert in_autocommit == in_its_own  # read outside any transaction; the save: one
    if get_engine(app).dialect.name == "sqlite":
        assert statements.count("BEGIN IMMEDIATE") == 1  # the save's, not the log-in check's
    engine = get_engine(app).dialect.name
    visit_updates = [s for s in statements if "UPDATE assessment" in s]
    assert len(visit_updates) == 1, visit_updates  # completion and version at once
    assert "version" in visit_updates[0].split(" WHERE ")[1], "the version is checked"
    audit_writes = [s for s in statements if s.startswith("INSERT INTO audit_event")]
    assert len(audit_writes) == 1, "the scores' and the visit's events in one INSERT"
    assert service._KEPT_RULES, "the measures kept"
    assert not [s for s in statements if "study_measure" in s], "the measures not read"
    reads = [" ".join(s.split()).split(" FROM ")[1].split()[0]
             for s in statements if s.startswith("SELECT")]
    guard = "unnest(%(keys)s::integer[])" if engine == "postgresql" else "record_lock"
    assert reads == ["user_session", "assessment", guard, "score"], reads
    if engine == "postgresql":  # the visit completed unless locked, its reminders cancelled
        taken = visit_updates[0]
        assert taken.startswith("WITH claimed AS") and "FROM record_lock" in taken, taken
        assert "UPDATE reminder" in taken and "UPDATE self_report_message" in taken
        assert [s.split(" (")[0] for s in statements if "INSERT INTO score" in s] == [
            "WITH parents AS"], "the scores and their sections in one statement"
    assert len(statements) <= {"postgresql": 7, "sqlite": 12}[engine], len(statements)
    assert not [s for s in statements if s.startswith("INSERT INTO data_query")]
    assert sum("FROM record_lock" in s for s in statements) == 1, "one lock check"


def test_a_save_waits_for_the_database_eight_times_on_postgresql(client, clinic, app,
                                                                   tmp_path):
    """The round trips themselves, from libpq's own trace of the messages: a save is
    answered by the server 8 times (ReadyForQuery), the advisory locks and the visit's
    completion in one of them."""
    if get_engine(app).dialect.name != "postgresql":
        pytest.skip("a libpq trace: PostgreSQL only")
    login(client, clinic.users["nurse"])
    client.get(f"/followup/{clinic.due.id}")
    form = {"mode": "in_clinic", "vas": "4", "version": str(clinic.due.version),
            "satisfaction_results": "satisfied", **odi_form(ODI)}
    trace = tmp_path / "libpq.trace"
    with trace.open("w") as out, traced(get_engine(app), out.fileno()):
        response = client.post(f"/followup/{clinic.due.id}", data=form)
    assert response.status_code == 302
    messages = [fields for line in trace.read_text().splitlines()  # (an SQL text's next
                if len(fields := line.split("\t")) >= 4]  # lines aside)
    flights = _flights(messages)  # each line: time, F(rontend) or B(ackend), length, message
    assert len(flights) == 8, flights
    together = next(f for f in flights if any("pg_advisory_xact_lock_shared" in m for m in f))
    assert any("WITH claimed AS" in m for m in together), together


def _flights(messages: list[list[str]]) -> list[list[str]]:
    """What the client sent before each answer of the server (ReadyForQuery)."""
    flights: list[list[str]] = []
    sent: list[str] = []
    for _time, side, _length, message, *_rest in messages:
        if side == "F":
            sent.append(message + " ".join(_rest))
        elif message == "ReadyForQuery":
            flights.append(sent)
            sent = []
    return flights


@contextmanager
def traced(engine: Any, fileno: int) -> Iterator[None]:
    """libpq's trace of every connection checked out meanwhile, into ``fileno``."""
    traced_now: list[Any] = []

    def trace(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.pgconn.trace(fileno)
        traced_now.append(dbapi_connection.pgconn)

    event.listen(engine, "checkout", trace)
    try:
        yield
    finally:
        event.remove(engine, "checkout", trace)
        for pgconn in traced_now:
            pgconn.untrace()


def test_a_protocol_change_in_the_same_transaction_is_seen(session, clinic):
    """The protocol read once per transaction is read again after a flush that changes
    a measure (a study builder and a save in one transaction must not disagree)."""
    from clinic.followup.service import measures_at
    from clinic.models import StudyMeasure

    before = measures_at(session, clinic.due)
    measure = session.exec(select(StudyMeasure).where(
        StudyMeasure.instrument == before[0])).first()
    session.delete(measure)
    session.flush()
    assert measures_at(session, clinic.due) == before[1:]


def test_the_measures_kept_by_a_process_follow_a_change_made_elsewhere(client, clinic, app):
    """A process keeps a study's measures under its measures_revision, read with the
    visit; a change of the measures by any writer (here another connection, as another
    process would) raises the revision in the database, and the next save reads the
    measures again: an instrument taken out of the protocol is no longer asked for."""
    from sqlalchemy import text

    from clinic.followup import service

    login(client, clinic.users["nurse"])
    service._KEPT_RULES.clear()
    form = {"mode": "in_clinic", "version": str(clinic.due.version), "vas": "4",
            "satisfaction_results": "satisfied"}

    def measure_reads(response_status: int, method: str) -> int:
        with recorded(app) as rec:
            response = (client.get(f"/followup/{clinic.due.id}") if method == "GET"
                        else client.post(f"/followup/{clinic.due.id}", data=form))
        assert response.status_code == response_status, response.get_data(as_text=True)
        if response_status == 422:
            assert "Not collected: Oswestry Disability Index" in response.get_data(
                as_text=True)
        return sum("study_measure" in s for s, _ in rec.statements)

    assert measure_reads(200, "GET") == 1, "read once"
    assert measure_reads(422, "POST") == 0, "then kept: the ODI is still asked for"
    with get_engine(app).begin() as other:  # another process's change
        other.execute(text("DELETE FROM study_measure WHERE study_id = :s AND "
                           "instrument = 'odi'"), {"s": clinic.patient.study_id})
    assert measure_reads(302, "POST") == 1, "read again: the ODI no longer asked for"


def test_the_database_draws_a_new_measures_revision_at_every_change(app, clinic):
    """The trigger of migration 0027, on each engine: INSERT, UPDATE and DELETE of a
    measure give its study a new revision (a random number, so that a database restored
    from an older copy cannot bring back one a process keeps other rules under); a
    change rolled back leaves it."""
    from sqlalchemy import text

    study = {"s": clinic.patient.study_id}
    revision = text("SELECT measures_revision FROM study WHERE id = :s")
    changes = ("UPDATE study_measure SET position = position + 1 WHERE study_id = :s",
               "DELETE FROM study_measure WHERE study_id = :s AND instrument = "
               "'satisfaction_results'",
               "INSERT INTO study_measure (study_id, instrument, position, "
               "response_categories) VALUES (:s, 'satisfaction_results', 9, false)")
    with get_engine(app).begin() as db:
        seen = [db.execute(revision, study).scalar_one()]
        assert seen[0] != 0, "the study's measures were inserted"
        for change in changes:
            db.execute(text(change), study)
            seen.append(db.execute(revision, study).scalar_one())
    assert len(set(seen)) == len(seen), seen
    with get_engine(app).connect() as db:
        db.execute(text("DELETE FROM study_measure WHERE study_id = :s"), study)
        assert db.execute(revision, study).scalar_one() not in seen
        db.rollback()
        assert db.execute(revision, study).scalar_one() == seen[-1]
