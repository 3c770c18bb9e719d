"""Screen tests: no app context is held open around requests (each request gets its own
session, as in production); checks read the database through a fresh session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlmodel import Session

from clinic.db import get_engine
from tests.web.helpers import Clinic, build_clinic


@pytest.fixture
def clinic(app: Flask) -> Clinic:
    with Session(get_engine(app), expire_on_commit=False) as session:
        return build_clinic(app, session)


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    with Session(get_engine(app), expire_on_commit=False) as session:
        yield session
