"""A registry of bulk-loaded SYNTHETIC patients, and a recorder of the SQL each request
runs (statement text and parameters, from SQLAlchemy's cursor events)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlmodel import Session

from clinic.auth.tokens import create_token
from clinic.db import get_engine
from clinic.demo.bulk import bulk_seed
from clinic.demo.staff import DEMO_PASSWORD
from clinic.models import Patient, Study, User

PHYSICIAN = "physician@demo.invalid"
NURSE = "nurse.north@demo.invalid"


@dataclass
class Recorder:
    statements: list[tuple[str, Any]] = field(default_factory=list)

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any,
                 _context: Any, _many: bool) -> None:
        self.statements.append((statement, parameters))


@contextmanager
def recorded(app: Any) -> Iterator[Recorder]:
    engine = get_engine(app)
    recorder = Recorder()
    event.listen(engine, "before_cursor_execute", recorder)
    try:
        yield recorder
    finally:
        event.remove(engine, "before_cursor_execute", recorder)


@dataclass
class Registry:
    study_ids: dict[str, int]
    patient_id: int  # one patient of the first study, at the nurse's site
    bearer: dict[str, str]


def seed(app: Any, studies: dict[str, int]) -> Registry:
    with Session(get_engine(app), expire_on_commit=False) as session:
        for code, patients in studies.items():
            bulk_seed(session, patients, code=code)
        ids = {s.code: s.id for s in session.scalars(select(Study))}
        nurse = session.scalars(select(User).where(User.email == NURSE)).one()
        first = next(iter(studies))
        patient = session.scalars(select(Patient).where(
            Patient.study_id == ids[first], Patient.site_id == nurse.site_id)
            .order_by(Patient.id)).first()
        physician = session.scalars(select(User).where(User.email == PHYSICIAN)).one()
        # a live token's name is its user's own: one per seeding (two sizes in one test)
        _row, plain = create_token(session, user=physician, days=30,
                                   name="scale " + " ".join(f"{c}:{n}" for c, n in studies.items()))
        session.commit()
        return Registry(ids, patient.id, {"Authorization": f"Bearer {plain}"})  # type: ignore[union-attr,arg-type]


def login(client: Any, email: str) -> Any:
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.data[:300]
    return client


@pytest.fixture
def as_physician(app: Any) -> Any:
    return lambda: login(app.test_client(), PHYSICIAN)


@pytest.fixture
def as_nurse(app: Any) -> Any:
    return lambda: login(app.test_client(), NURSE)
