"""The Alembic migrations: they build what the models declare, and 0004 fills in the
parent of every existing child-row audit event, also of rows deleted before it ran."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, text, update
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, SQLModel, select

from clinic.db import alembic_config, get_engine
from clinic.models import AuditEvent, ProcedureTarget
from tests.factories import make_patient, make_procedure, make_study, make_user


def test_the_migrations_build_the_schema_the_models_declare(app):
    with get_engine(app).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


@pytest.fixture
def private_engine(engine_kind: str, tmp_path: Path) -> Iterator[Engine]:
    """A database of this test's own, as migrations change its schema."""
    if engine_kind == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
        yield engine
        engine.dispose()
        return
    base = os.environ["CLINIC_TEST_DATABASE_URL"]
    schema = f"clinic_migration_{uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}")
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_0004_fills_in_the_parent_of_existing_child_events(private_engine):
    _migrate(private_engine, "head")
    with Session(private_engine, expire_on_commit=False) as session:
        patient, _ = make_patient(session, make_study(session))
        procedure = make_procedure(session, patient)
        session.commit()
        target = session.exec(select(ProcedureTarget)).one()
        target_id = target.id
        session.delete(target)  # gone before 0004 runs: only its snapshots name the parent
        session.commit()
    _migrate(private_engine, "0003", down=True)
    _migrate(private_engine, "head")
    with Session(private_engine) as session:
        children = session.exec(select(AuditEvent).where(
            AuditEvent.entity.in_(["procedure_target", "injectate", "root_laterality"]))).all()
        assert {e.entity for e in children} == {"procedure_target", "injectate",
                                                "root_laterality"}
        parents = {(e.entity, e.parent_entity, e.parent_id) for e in children}
        assert parents == {("procedure_target", "procedure", procedure.id),
                           ("injectate", "procedure", procedure.id),
                           ("root_laterality", "patient", patient.id)}
        deleted = [e for e in children if e.entity_id == target_id
                   and e.entity == "procedure_target"]
        assert {e.action for e in deleted} == {"create", "delete"}
        own = session.exec(select(AuditEvent).where(AuditEvent.entity == "procedure")).all()
        assert own and all(e.parent_entity is None for e in own)


def test_0007_upgrades_a_filled_database_without_losing_a_row(private_engine):
    """0007 rebuilds ``enrollment`` on SQLite (its arm may now be empty): every row, check
    and length guard survives, also with foreign keys enforced."""
    from clinic.models import Enrollment, PatientIdentity

    _migrate(private_engine, "head")
    with Session(private_engine, expire_on_commit=False) as session:
        study = make_study(session)
        for _ in range(3):
            patient, _ = make_patient(session, study)
            make_procedure(session, patient)
        session.commit()
    _migrate(private_engine, "0006", down=True)
    _migrate(private_engine, "head")
    with Session(private_engine) as session:
        assert len(session.exec(select(Enrollment)).all()) == 3
        assert len(session.exec(select(PatientIdentity)).all()) == 3
        with pytest.raises(Exception, match="(?i)check|length|too long"):  # the database's own
            session.execute(update(Enrollment.__table__).values(stratum="s" * 61))


def test_0016_widens_the_role_check_for_monitors_and_narrows_it_back(private_engine):
    """SQLite cannot alter a CHECK: 0016 rewrites the constraint's text in the schema. The
    database itself then takes a monitor and still refuses an unknown role; the downgrade
    refuses while a monitor exists."""
    def add(role: str) -> None:
        from clinic.models import User

        with private_engine.begin() as connection:
            connection.execute(User.__table__.insert().values(
                email=f"{role}@x.invalid", name="X", role=role, password_hash="h"))

    _migrate(private_engine, "0015")
    with pytest.raises(Exception, match="(?i)check"):
        add("monitor")
    _migrate(private_engine, "head")
    add("monitor")
    with pytest.raises(Exception, match="(?i)check"):
        add("janitor")
    _migrate(private_engine, "0016", down=True)  # the later migrations first
    with pytest.raises(RuntimeError, match="monitor login"):  # before any change of 0016's
        _migrate(private_engine, "0015", down=True)
    with private_engine.begin() as connection:
        connection.execute(text("DELETE FROM app_user WHERE role = 'monitor'"))
    _migrate(private_engine, "0015", down=True)
    with pytest.raises(Exception, match="(?i)check"):
        add("monitor")


def test_0020_gives_existing_monitors_every_existing_study(private_engine):
    """Nobody loses access on upgrade: a monitor made before 0020 monitors every study
    there is then; other roles monitor nothing."""
    import dataclasses

    from clinic.demo.protocol import DEMO_STUDY

    _migrate(private_engine, "head")
    with Session(private_engine, expire_on_commit=False) as session:
        first = make_study(session)
        second = make_study(session, dataclasses.replace(DEMO_STUDY, code="SECOND"))
        monitor = make_user(session, "monitor")
        nurse = make_user(session, "nurse")
        session.commit()
    _migrate(private_engine, "0019", down=True)  # study_monitor is gone
    _migrate(private_engine, "head")
    with private_engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT user_id, study_id FROM study_monitor ORDER BY study_id")).all()
    assert [tuple(r) for r in rows] == [(monitor.id, first.id), (monitor.id, second.id)]
    assert nurse.id not in {r[0] for r in rows}


def test_0021_gives_existing_identities_their_mrn_key(private_engine):
    """An MRN recorded before 0021 is found by the enrollment's check afterwards."""
    _migrate(private_engine, "head")
    with Session(private_engine, expire_on_commit=False) as session:
        study = make_study(session)
        patient, _ = make_patient(session, study)
        session.commit()
    with private_engine.begin() as connection:
        connection.execute(text("UPDATE patient_identity SET mrn = ' Ab-12 ' "
                                "WHERE patient_id = :p"), {"p": patient.id})
    _migrate(private_engine, "0020", down=True)  # mrn_key is gone
    _migrate(private_engine, "head")
    with private_engine.connect() as connection:
        key = connection.execute(text("SELECT mrn_key FROM patient_identity "
                                      "WHERE patient_id = :p"), {"p": patient.id}).scalar()
    assert key == "ab-12"


def test_0025_makes_the_audit_trail_append_only_and_its_downgrade_lifts_it(private_engine):
    def remove_one() -> None:
        with private_engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_event WHERE id = (SELECT min(id) "
                                    "FROM audit_event)"))

    _migrate(private_engine, "head")
    with private_engine.begin() as connection:
        connection.execute(AuditEvent.__table__.insert(), [
            {"entity": "patient", "entity_id": n, "action": "create"} for n in (1, 2)])
    with pytest.raises(Exception, match="append-only"):
        remove_one()
    _migrate(private_engine, "0024", down=True)
    remove_one()
    _migrate(private_engine, "head")
    with pytest.raises(Exception, match="append-only"):
        remove_one()


def test_0026_admits_queries_on_adverse_events_and_keeps_every_step(private_engine):
    """The target CHECK widened in place (a rebuild of data_query would have cascaded into
    its steps); the downgrade removes the queries on adverse events only."""
    from sqlalchemy import event as sa_event

    from clinic.models import DataQuery, DataQueryStep

    if private_engine.dialect.name == "sqlite":  # as the app's connections have it
        sa_event.listen(private_engine, "connect",
                        lambda dbapi, _record: dbapi.execute("PRAGMA foreign_keys=ON"))

    def add(session: Session, table: str, patient: tuple[int, int]) -> None:
        query = DataQuery(study_id=patient[0], patient_id=patient[1], target_table=table,
                          target_id=1, field="severity", label="x", text="Check?")
        session.add(query)
        session.flush()
        session.add(DataQueryStep(query_id=query.id, step="raised", text="Check?"))
        session.commit()

    _migrate(private_engine, "head")  # the patient made with today's models, then back
    with Session(private_engine, expire_on_commit=False) as session:
        made, _ = make_patient(session, make_study(session))
        session.commit()
        patient = (made.study_id, made.id)
    _migrate(private_engine, "0025", down=True)
    with Session(private_engine, expire_on_commit=False) as session:
        add(session, "score", patient)
        with pytest.raises(Exception, match="(?i)check"):
            add(session, "adverse_event", patient)
        session.rollback()
    _migrate(private_engine, "head")
    with Session(private_engine, expire_on_commit=False) as session:
        assert len(session.exec(select(DataQueryStep)).all()) == 1  # kept
        add(session, "adverse_event", patient)
        with pytest.raises(Exception, match="(?i)check"):
            add(session, "bogus", patient)
        session.rollback()
    _migrate(private_engine, "0025", down=True)
    with Session(private_engine) as session:
        assert [q.target_table for q in session.exec(select(DataQuery))] == ["score"]
        assert len(session.exec(select(DataQueryStep)).all()) == 1


def test_0027_draws_a_measures_revision_for_every_change_and_goes_back(private_engine):
    """The upgrade draws a revision for every study with measures (0: never any); the
    triggers draw a new one at each change; the downgrade drops them and the column."""
    from sqlalchemy import inspect as sa_inspect

    _migrate(private_engine, "head")
    with Session(private_engine, expire_on_commit=False) as session:
        study = make_study(session)
        session.commit()
    _migrate(private_engine, "0026", down=True)
    assert "measures_revision" not in {c["name"] for c in sa_inspect(
        private_engine).get_columns("study")}
    with private_engine.begin() as connection:  # a measure written without the triggers
        connection.execute(text("UPDATE study_measure SET position = position + 1"))
        connection.execute(text("INSERT INTO study (code, title, design, status, "
                                "is_synthetic, strata_rules, block_multipliers, created_at, "
                                "design_type, protocol_version) VALUES ('EMPTY', 'x', 'x', "
                                "'recruiting', false, '[]', '[1]', '2026-01-01', 'registry', 1)"))
    _migrate(private_engine, "head")
    revision = text("SELECT measures_revision FROM study WHERE id = :s")
    with private_engine.begin() as connection:
        drawn = connection.execute(revision, {"s": study.id}).scalar_one()
        assert drawn != 0
        assert connection.execute(text("SELECT measures_revision FROM study WHERE code = "
                                       "'EMPTY'")).scalar_one() == 0
        connection.execute(text("UPDATE study_measure SET position = position + 1 "
                                "WHERE study_id = :s"), {"s": study.id})
        assert connection.execute(revision, {"s": study.id}).scalar_one() not in (0, drawn)


def test_0028_gives_no_id_again_that_a_row_or_its_audit_trail_had(private_engine):
    """Rows deleted before the upgrade (their ids named only by the audit trail) and after
    it leave their ids unused on both engines; on SQLite the rows, their checks and
    foreign keys stay, and the downgrade goes back to the largest id + 1."""
    _migrate(private_engine, "head")
    with Session(private_engine, expire_on_commit=False) as session:
        patient, _ = make_patient(session, make_study(session))
        make_procedure(session, patient)
        session.commit()
    _migrate(private_engine, "0027", down=True)
    newest = select(ProcedureTarget).order_by(ProcedureTarget.id.desc())  # type: ignore[union-attr]
    with Session(private_engine, expire_on_commit=False) as session:
        gone = session.exec(newest).first()
        session.delete(gone)  # audited: its id is in the trail only
        session.commit()
    before = _counts(private_engine)
    _migrate(private_engine, "head")
    assert _counts(private_engine) == before
    with Session(private_engine, expire_on_commit=False) as session:
        procedure_id = gone.procedure_id
        session.add(ProcedureTarget(procedure_id=procedure_id, level="L5-S1", side="left"))
        session.commit()
        assert session.exec(newest).first().id == gone.id + 1
        with pytest.raises(Exception, match="(?i)check|constraint"):  # its checks hold
            session.add(ProcedureTarget(procedure_id=procedure_id, level="L9", side="left"))
            session.commit()
        session.rollback()
    if private_engine.dialect.name != "sqlite":
        return
    with private_engine.begin() as connection:
        connection.execute(text("PRAGMA foreign_keys=ON"))
        assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        with pytest.raises(Exception, match="(?i)foreign key"):
            connection.execute(text("INSERT INTO procedure_target (procedure_id, level, side) "
                                    "VALUES (999999, 'L4-L5', 'left')"))
    _migrate(private_engine, "0027", down=True)
    with private_engine.begin() as connection:
        assert "AUTOINCREMENT" not in connection.execute(text(
            "SELECT sql FROM sqlite_master WHERE name = 'procedure_target'")).scalar_one()
    _migrate(private_engine, "head")


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {t: connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                for t in ("procedure_target", "injectate", "score", "patient", "audit_event")}


def test_0029_gives_existing_studies_methylprednisolone_acetate_as_their_capped_steroid(
        private_engine):
    """A study made before 0029 keeps the meaning of its cap (the seed trial's capped
    steroid); the database refuses a capped steroid that is not a steroid; the downgrade
    drops the column and its guards, on SQLite in place."""
    _migrate(private_engine, "head")
    with Session(private_engine, expire_on_commit=False) as session:
        study = make_study(session)
        session.commit()
    _migrate(private_engine, "0028", down=True)
    with private_engine.connect() as connection:
        assert "capped_steroid" not in {c["name"] for c in sa_inspect(connection)
                                        .get_columns("study")}
    before = _counts(private_engine)
    _migrate(private_engine, "head")
    assert _counts(private_engine) == before
    read = text("SELECT capped_steroid FROM study WHERE id = :s")
    with private_engine.begin() as connection:
        assert connection.execute(read, {"s": study.id}).scalar_one() == \
            "methylprednisolone_acetate"
        connection.execute(text("UPDATE study SET capped_steroid = 'triamcinolone' "
                                "WHERE id = :s"), {"s": study.id})
        assert connection.execute(read, {"s": study.id}).scalar_one() == "triamcinolone"
    for wrong in ("'lidocaine'", "NULL"):
        with pytest.raises(Exception, match="(?i)check|constraint|null"), \
                private_engine.begin() as connection:
            connection.execute(text(f"UPDATE study SET capped_steroid = {wrong} "
                                    "WHERE id = :s"), {"s": study.id})
    _migrate(private_engine, "0028", down=True)
    _migrate(private_engine, "head")


def test_0030_keeps_audit_reasons_up_to_4000_characters_and_goes_back_only_without_longer(
        private_engine):
    """After 0030 a reason of 4,000 characters is kept whole and one longer refused (on
    SQLite by its guard); the downgrade refuses while a reason is longer than 500 (it would
    be cut), and goes back once none is."""
    _migrate(private_engine, "head")
    insert = text("INSERT INTO audit_event (occurred_at, entity, entity_id, action, reason) "
                  "VALUES (CURRENT_TIMESTAMP, 'study', 1, 'update', :reason)")
    with private_engine.begin() as connection:
        connection.execute(insert, {"reason": "r" * 4000})
        assert connection.execute(text("SELECT max(length(reason)) FROM audit_event")
                                  ).scalar_one() == 4000
    with pytest.raises(Exception, match="(?i)length|too long|value too long|constraint"), \
            private_engine.begin() as connection:
        connection.execute(insert, {"reason": "r" * 4001})
    with pytest.raises(Exception, match="longer than 500 characters: not narrowed"):
        _migrate(private_engine, "0029", down=True)
    with private_engine.connect() as connection:  # the refused downgrade changed nothing
        assert connection.execute(text("SELECT max(length(reason)) FROM audit_event")
                                  ).scalar_one() == 4000
    _migrate(private_engine, "head")
