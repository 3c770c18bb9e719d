"""A follow-up save is a short transaction with a bounded number of SQL statements: the
scores and their sections in one INSERT each (clinic.followup.service._store), the audit
rows of the save in one INSERT, the session
with its user and the visit with its patient read in one query each, the study's
protocol (timepoint and measures) read once although three steps ask for it.

PostgreSQL runs 10 statements, five of them reads: the session with its user; the visit
with its patient, timepoint and index procedure; the study's measures; the lock guard's
shared advisory locks on the visit, the patient and the study (so that no lock is set
while the save is under way) and, in the same message, its question whether any of them
is locked (clinic.locks.guard); and the VAS-change rule's read of the patient's VAS
(clinic.queries.rules: an ordinary visit, inside its window with every section
answered, runs no other rule). The session is read in autocommit, outside the save's
transaction (clinic.auth.current): one transaction per save, begun and committed once.
The writes: the scores, their sections, the visit (completed, its version checked and
raised, in one UPDATE: clinic.followup.service._take), the audit rows, and the visit's
pending reminders and self-report messages cancelled (one statement with two
data-modifying CTEs). SQLite 13: its BEGIN IMMEDIATE, no advisory locks, the two
cancellations as two UPDATEs, the lock question a statement of its own; its scores and
sections too go as one INSERT each (clinic.models.inserts)."""

from __future__ import annotations

from sqlalchemy import event
from sqlmodel import select

from clinic.db import get_engine
from tests.scale.conftest import recorded
from tests.web.helpers import login, odi_form

ODI = [2, 1, 2, 1, 1, 2, 1, 1, 2, 3]


def test_a_follow_up_save_runs_a_bounded_number_of_statements(client, clinic, app):
    login(client, clinic.users["nurse"])
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
    assert in_autocommit == ["user_session"]  # read outside any transaction; the save: one
    statements = [s for s, _ in rec.statements]
    if get_engine(app).dialect.name == "sqlite":
        assert statements.count("BEGIN IMMEDIATE") == 1  # the save's, not the log-in check's
    visit_updates = [s for s in statements if s.startswith("UPDATE assessment")]
    assert len(visit_updates) == 1, visit_updates  # completion and version at once
    assert "version" in visit_updates[0].split(" WHERE ")[1], "the version is checked"
    audit_writes = [s for s in statements if s.startswith("INSERT INTO audit_event")]
    assert len(audit_writes) == 1, "the scores' and the visit's events in one INSERT"
    protocol_reads = [s for s in statements if "FROM study_measure" in s]
    assert len(protocol_reads) == 1, protocol_reads
    reads = [" ".join(s.split()).split(" FROM ")[1].split()[0]
             for s in statements if s.startswith("SELECT")]
    engine = get_engine(app).dialect.name
    guard = "unnest('{" if engine == "postgresql" else "record_lock"
    assert [r.split("'{")[0] + "'{" if r.startswith("unnest('{") else r for r in reads] == [
        "user_session", "assessment", "study_measure", guard, "score"], reads
    if engine == "postgresql":  # the advisory locks, then the question, in one message
        held = next(s for s in statements if "pg_advisory_xact_lock_shared" in s)
        assert "; SELECT 1 FROM record_lock WHERE target IN (" in held, held
    assert len(statements) <= {"postgresql": 10, "sqlite": 13}[engine], len(statements)
    assert not [s for s in statements if s.startswith("INSERT INTO data_query")]
    assert sum("FROM record_lock" in s for s in statements) == 1, "one lock check"


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
