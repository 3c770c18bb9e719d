"""API fixtures: a bearer token for any role of the small clinic."""

from __future__ import annotations

from itertools import count

import pytest
from sqlmodel import Session

from clinic.auth.tokens import create_token
from clinic.db import get_engine


@pytest.fixture
def bearer(app, clinic):
    numbers = count(1)  # a live token's name is one of its user's: each call its own

    def make(role: str, days: int = 30) -> dict[str, str]:
        with Session(get_engine(app)) as session:
            _row, plain = create_token(session, user=clinic.users[role],
                                       name=f"test {next(numbers)}", days=days)
            session.commit()
        return {"Authorization": f"Bearer {plain}"}
    return make


@pytest.fixture
def listed_procedure(client, clinic):
    """The clinic patient's first procedure as the API lists it: its JSON, its address,
    and its fields as a correction sends them back."""
    def read(headers: dict[str, str]) -> tuple[dict, str, dict]:
        listed = client.get(f"/api/v1/patients/{clinic.patient.id}/procedures",
                            headers=headers).get_json()[0]
        return listed, f"/api/v1/procedures/{listed['id']}", {
            k: v for k, v in listed.items() if k not in {"id", "patient_id", "warnings",
                                                          "version"}}
    return read
