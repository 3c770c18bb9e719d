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
