"""The audit trail's hash chain: sealing, and a verification that names every event
removed or changed around the app (raw SQL here, as someone with database access would)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from clinic.audit import set_actor
from clinic.audit.chain import IDENTITY, seal, verify
from clinic.db import get_engine
from clinic.models import AuditEvent, IdentityAuditEvent, Patient, PatientIdentity


def _sealed(app) -> int:
    with Session(get_engine(app)) as session:
        count = seal(session)
        session.commit()
    return count


def _verify(app):
    with Session(get_engine(app)) as session:
        return verify(session)


def _raw(app, sql: str, **params) -> None:
    """``sql`` run as someone who can lift the database's append-only guard (migration
    0025) would: SQLite drops the triggers (this test's own copy of the database);
    PostgreSQL switches triggers off for this transaction alone."""
    with get_engine(app).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for table in ("audit_event", "identity_audit_event"):
                connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
                connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_only_sealed"))
                connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_insert_unsealed"))
        connection.execute(text(sql), params)


def _middle_event(app) -> AuditEvent:
    with Session(get_engine(app)) as session:
        events = session.exec(select(AuditEvent).order_by(AuditEvent.seq)).all()
        return events[len(events) // 2]


def _change_a_patient(app, bmi: float) -> None:
    with Session(get_engine(app)) as session:
        set_actor(session, None, "test change")
        patient = session.exec(select(Patient)).first()
        patient.bmi = bmi
        session.add(patient)
        session.commit()


def test_sealing_chains_every_event_once_in_id_order(app, clinic):
    total = _sealed(app)
    assert total > 20
    assert _sealed(app) == 0  # nothing new
    with Session(get_engine(app)) as session:
        rows = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [r.seq for r in rows] == list(range(1, total + 1))
    assert all(r.prev_hash == before.row_hash for before, r in zip(rows, rows[1:], strict=False))
    report = _verify(app)
    assert report.intact and report.events == total and report.unsealed == 0
    assert report.head_seq == total and report.head_hash == rows[-1].row_hash


def test_new_events_are_counted_until_sealed_then_continue_the_chain(app, clinic):
    first = _sealed(app)
    _change_a_patient(app, 31.5)
    assert _verify(app).unsealed == 1
    assert _sealed(app) == 1
    report = _verify(app)
    assert report.intact and report.events == first + 1 and report.unsealed == 0


@pytest.mark.parametrize("column, value", [("new_value", "'99'"),
                                           ("user_id", "(SELECT min(id) FROM app_user WHERE id <> "
                                                       "COALESCE(audit_event.user_id, 0))"),
                                           ("reason", "'corrected'"),
                                           ("occurred_at", "occurred_at")])
def test_an_event_edited_in_the_database_is_named(app, clinic, column, value):
    _sealed(app)
    victim = _middle_event(app)
    if column == "occurred_at":  # one second earlier, written as each engine spells it
        _raw(app, "UPDATE audit_event SET occurred_at = :at WHERE id = :id",
             at=victim.occurred_at.replace(second=(victim.occurred_at.second + 1) % 60),
             id=victim.id)
    else:
        _raw(app, f"UPDATE audit_event SET {column} = {value} WHERE id = :id", id=victim.id)
    report = _verify(app)
    assert not report.intact
    assert report.problem_count == 1, report.problems
    assert f"#{victim.seq} (id {victim.id}:" in report.problems[0]
    assert "changed after it was sealed" in report.problems[0]


def test_an_event_deleted_from_the_database_is_a_gap(app, clinic):
    _sealed(app)
    victim = _middle_event(app)
    _raw(app, "DELETE FROM audit_event WHERE id = :id", id=victim.id)
    report = _verify(app)
    assert report.problems == [f"event #{victim.seq} is missing: removed from the table"]


def test_the_newest_events_deleted_are_found_by_the_chains_end(app, clinic):
    total = _sealed(app)
    _raw(app, "DELETE FROM audit_event WHERE seq > :keep", keep=total - 2)
    report = _verify(app)
    assert report.problems == [f"the newest sealed events #{total - 1}–#{total} are missing: "
                               "removed from the table"]


def test_a_rewritten_hash_still_breaks_the_next_link(app, clinic):
    """Editing an event and giving it a matching hash moves the break to its successor."""
    from clinic.audit.hashing import event_hash

    _sealed(app)
    victim = _middle_event(app)
    with Session(get_engine(app)) as session:
        row = session.get(AuditEvent, victim.id)
        row.new_value = "forged"
        forged = event_hash(row.prev_hash, row.seq, row.model_dump())
    _raw(app, "UPDATE audit_event SET new_value = 'forged', row_hash = :h WHERE id = :id",
         h=forged, id=victim.id)
    report = _verify(app)
    assert report.problem_count == 1
    assert f"does not follow on from event #{victim.seq}" in report.problems[0]


def test_two_seals_at_once_give_out_each_number_once(app, clinic):
    for bmi in (22.0, 23.0, 24.0):
        _change_a_patient(app, bmi)
    errors: list[BaseException] = []

    def seal_in_thread() -> None:
        try:
            _sealed(app)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=seal_in_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    report = _verify(app)
    assert report.intact and report.unsealed == 0


def test_the_cli_seals_verifies_and_fails_on_a_broken_chain(app, clinic):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "Audit trail intact:" in result.output
    victim = _middle_event(app)
    _raw(app, "UPDATE audit_event SET old_value = 'x' WHERE id = :id", id=victim.id)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "Audit trail BROKEN: 1 problem(s)" in result.output
    assert f"(id {victim.id}:" in result.output
    assert "Identity changes intact:" in result.output  # the other chain is untouched
    assert runner.invoke(args=["audit", "seal"]).output == (
        "audit: 0 events sealed, 0 identity changes sealed\n")


# --- the identity changes' own chain -----------------------------------------------------

def _change_an_email(app, email: str) -> None:
    with Session(get_engine(app)) as session:
        set_actor(session, None, "new address")
        identity = session.exec(select(PatientIdentity)).first()
        identity.email = email
        session.add(identity)
        session.commit()


def _seal_identity(app) -> int:
    with Session(get_engine(app)) as session:
        count = seal(session, chain=IDENTITY)
        session.commit()
    return count


def test_identity_changes_form_a_chain_of_their_own(app, clinic):
    _change_an_email(app, "first@example.invalid")
    _change_an_email(app, "second@example.invalid")
    with Session(get_engine(app)) as session:
        total = len(session.exec(select(IdentityAuditEvent.id)).all())
    assert total >= 2
    assert _seal_identity(app) == total
    with Session(get_engine(app)) as session:
        rows = session.exec(select(IdentityAuditEvent).order_by(IdentityAuditEvent.id)).all()
        report = verify(session, IDENTITY)
    assert [r.seq for r in rows] == list(range(1, total + 1))
    assert rows[0].prev_hash == "0" * 64
    assert all(r.prev_hash == before.row_hash for before, r in zip(rows, rows[1:], strict=False))
    assert report.intact and report.events == total and report.head_hash == rows[-1].row_hash
    assert _verify(app).intact  # the audit trail's chain counts its own events only


def test_an_identity_value_changed_or_removed_around_the_app_is_found(app, clinic):
    _change_an_email(app, "first@example.invalid")
    _change_an_email(app, "second@example.invalid")
    _change_an_email(app, "third@example.invalid")
    _seal_identity(app)
    with Session(get_engine(app)) as session:
        rows = session.exec(select(IdentityAuditEvent).order_by(IdentityAuditEvent.seq)).all()
    edited, removed = rows[-2], rows[-3]
    _raw(app, "UPDATE identity_audit_event SET new_value = 'someone@else.invalid' "
              "WHERE id = :id", id=edited.id)
    _raw(app, "DELETE FROM identity_audit_event WHERE id = :id", id=removed.id)
    with Session(get_engine(app)) as session:
        report = verify(session, IDENTITY)
    assert not report.intact
    text = report.describe()
    assert text.startswith("Identity changes BROKEN: 2 problem(s)")
    assert f"event #{removed.seq} is missing: removed from the table" in text
    assert f"(id {edited.id}: update patient_identity {edited.entity_id} email) was changed" \
        in text
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "Audit trail intact:" in result.output
    assert "Identity changes BROKEN" in result.output


@pytest.mark.parametrize("sql", [
    "UPDATE audit_event SET new_value = 'forged' WHERE id = :id",
    "UPDATE audit_event SET seq = NULL, prev_hash = NULL, row_hash = NULL WHERE id = :id",
    "UPDATE audit_event SET seq = seq + 1000000 WHERE id = :id",
    "DELETE FROM audit_event WHERE id = :id",
    "UPDATE identity_audit_event SET new_value = 'forged' WHERE id = :id",
    "DELETE FROM identity_audit_event WHERE id = :id",
])
def test_the_database_refuses_to_change_or_remove_a_sealed_event(app, clinic, sql):
    _sealed(app)
    victim = _middle_event(app) if "identity" not in sql else _identity_event(app)
    with pytest.raises(DBAPIError, match="append-only"), get_engine(app).begin() as connection:
        connection.execute(text(sql), {"id": victim.id})
    assert _verify(app).intact


def test_an_event_cannot_be_replaced_or_inserted_already_sealed(app, clinic, engine_kind):
    """SQLite's INSERT OR REPLACE deletes the row it replaces without running DELETE
    triggers; PostgreSQL's upsert runs the UPDATE guard. An insert carrying a seal
    would take a number of the chain (or make the next seal fail on it)."""
    _sealed(app)
    victim = _middle_event(app)
    columns = ("id, occurred_at, user_id, entity, entity_id, action, field, old_value, "
               "new_value, reason, parent_entity, parent_id")
    forged = columns.replace("new_value", "'forged'")
    replace = (f"INSERT OR REPLACE INTO audit_event ({columns}) SELECT {forged} "
               "FROM audit_event WHERE id = :id" if engine_kind == "sqlite" else
               f"INSERT INTO audit_event ({columns}) SELECT {forged} FROM audit_event "
               "WHERE id = :id ON CONFLICT (id) DO UPDATE SET new_value = 'forged'")
    sealed = ("INSERT INTO audit_event (entity, entity_id, action, seq, prev_hash, row_hash) "
              "VALUES ('patient', 1, 'create', 999999, 'x', 'y')")
    for sql in (replace, sealed):
        with pytest.raises(DBAPIError, match="append-only"), \
                get_engine(app).begin() as connection:
            connection.execute(text(sql), {"id": victim.id})
    assert _verify(app).intact


@pytest.mark.parametrize("sql", ["UPDATE audit_event SET reason = 'tidied' WHERE id = :id",
                                 "UPDATE audit_event SET seq = 5, row_hash = 'x', "
                                 "new_value = 'forged' WHERE id = :id",
                                 "DELETE FROM audit_event WHERE id = :id"])
def test_an_event_not_sealed_yet_is_guarded_too(app, clinic, sql):
    """The minute before the seal was the unprotected window: now only the seal itself
    (sequence number and hashes, every other column as written) may touch the row."""
    _sealed(app)
    _change_a_patient(app, 29.5)
    with Session(get_engine(app)) as session:
        fresh = session.exec(select(AuditEvent).where(col(AuditEvent.seq).is_(None))).first()
    assert fresh is not None
    with pytest.raises(DBAPIError, match="append-only"), get_engine(app).begin() as connection:
        connection.execute(text(sql), {"id": fresh.id})
    assert _sealed(app) >= 1 and _verify(app).intact


def _identity_event(app) -> IdentityAuditEvent:
    with Session(get_engine(app)) as session:
        return session.exec(select(IdentityAuditEvent).order_by(IdentityAuditEvent.id)).first()
