"""The database itself refuses what the edge refuses: over-long text and numbers out of
their plausible range, on both engines (SQLite: triggers from migration 0006), and the
ORM guard turns them into a ValidationError naming the field before any SQL runs."""

from __future__ import annotations

import pytest
from sqlalchemy import String, insert, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import SQLModel

from clinic.exceptions import ValidationError
from clinic.models import Patient, Procedure, Site
from tests.factories import make_patient, make_procedure, make_study


def _bounded_text_columns():
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            length = getattr(column.type, "length", None)
            if isinstance(getattr(column.type, "impl", column.type), String) and length:
                yield table, column, length


def test_every_bounded_text_column_has_its_length_enforced(session, engine_kind):
    if engine_kind == "postgresql":  # VARCHAR(n) enforces it: check the declared lengths
        declared = {(t, c): n for t, c, n in session.connection().execute(text(
            "SELECT table_name, column_name, character_maximum_length FROM "
            "information_schema.columns WHERE table_schema = current_schema()"))}
        wrong = [(t.name, c.name) for t, c, n in _bounded_text_columns()
                 if declared.get((t.name, c.name)) != n]
        assert wrong == []
        return
    connection = session.connection()
    triggers = set(connection.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    missing = []
    for table, column, _length in _bounded_text_columns():
        sql = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = :t"),
                                 {"t": table.name}).scalar() or ""
        name = f"ck_{table.name}_{column.name}_length"
        if f"{name}_ins" not in triggers and f"length({column.name})" not in sql:
            missing.append(name)
    assert missing == []


def test_over_long_text_is_refused_by_the_database(session):
    with pytest.raises((IntegrityError, DBAPIError)):
        session.execute(insert(Site).values(code="X", name="n" * 201))
    session.rollback()


@pytest.mark.parametrize(("column", "value"), [("symptom_duration_months", float("inf")),
                                               ("symptom_duration_months", 1e6),
                                               ("bmi", 500.0)])
def test_numbers_out_of_range_are_refused_by_the_database(session, column, value):
    patient, _ = make_patient(session, make_study(session))
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(update(Patient).where(Patient.id == patient.id).values({column: value}))
    session.rollback()


def test_a_dose_beyond_its_bound_is_refused_by_the_database(session):
    patient, _ = make_patient(session, make_study(session))
    procedure = make_procedure(session, patient)
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(update(Procedure).where(Procedure.id == procedure.id)
                        .values(dap_mgy_cm2=1e12))
    session.rollback()


def test_the_orm_guard_names_the_field_before_any_sql(session):
    patient, _ = make_patient(session, make_study(session))
    session.commit()
    patient.diagnosis = "d" * 301
    patient.bmi = float("nan")
    session.add(patient)
    with pytest.raises(ValidationError) as refused:
        session.flush()
    assert set(refused.value.errors) == {"diagnosis", "bmi"}
    session.rollback()
