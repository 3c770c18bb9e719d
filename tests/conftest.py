"""Fixtures: a fresh app and database per test, on SQLite always and on PostgreSQL
when CLINIC_TEST_DATABASE_URL is set (CI sets it, so both engines run there).

SQLite: the schema is migrated once into a template file, copied for each test.
PostgreSQL: the schema is migrated once into a schema of its own for this run, and
every table is truncated before each test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlmodel import Session, SQLModel

from clinic import create_app
from clinic.auth import passwords
from clinic.db import get_engine, upgrade_to_head

PG_URL = os.environ.get("CLINIC_TEST_DATABASE_URL")
# The made-up staff of the tests get cheap hashes (about 1 ms instead of 0.1 s each: seven
# accounts per test and each log-in took most of a test's set-up). The app's own method
# is kept here; tests/auth/test_accounts.py checks that the app hashes with it.
APP_HASH_METHOD = passwords.HASH_METHOD
passwords.HASH_METHOD = "pbkdf2:sha256:1000"
ENGINES = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def pytest_report_header() -> str:
    return f"clinic database engines under test: {', '.join(ENGINES)}"


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("CI") and not PG_URL:
        raise pytest.UsageError("CI must set CLINIC_TEST_DATABASE_URL to test PostgreSQL too")


@dataclass
class TestDatabase:
    kind: str
    template: str  # sqlite: template file; postgresql: URL with the run's schema

    def fresh_url(self, tmp_path: Path) -> str:
        if self.kind == "sqlite":
            target = tmp_path / "clinic.db"
            shutil.copy(self.template.removeprefix("sqlite:///"), target)
            return f"sqlite:///{target}"
        _truncate_all(self.template)
        return self.template


def _config(url: str, **extra: Any) -> dict[str, Any]:
    return {"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret-key",
            "WTF_CSRF_ENABLED": False, "TIMEZONE": "Europe/Berlin",
            "SESSION_COOKIE_SECURE": False, **extra}


def _migrated_template(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'template.db'}"
    else:
        schema = f"clinic_test_{uuid4().hex[:10]}"
        admin = create_engine(PG_URL)  # type: ignore[arg-type]
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
        url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"  # type: ignore[operator]
    app = create_app(_config(url, CHECK_SCHEMA=False))
    upgrade_to_head(app)
    get_engine(app).dispose()
    return url


def _drop_schema(url: str) -> None:
    schema = url.rsplit("%3D", 1)[1]
    admin = create_engine(PG_URL)  # type: ignore[arg-type]
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session", params=ENGINES)
def test_database(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    kind = request.param
    template = _migrated_template(kind, tmp_path_factory.mktemp(f"db-{kind}"))
    yield TestDatabase(kind, template)
    if kind == "postgresql":
        _drop_schema(template)


@pytest.fixture
def app(test_database: TestDatabase, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(_config(test_database.fresh_url(tmp_path),
                             REPORT_JOBS_DIR=str(tmp_path / "report_jobs")))
    yield app
    get_engine(app).dispose()


@pytest.fixture
def engine_kind(test_database: TestDatabase) -> str:
    return test_database.kind


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as session:
        yield session


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session for checks in screen and API tests, outside any request (each request
    gets its own session, as in production)."""
    with Session(get_engine(app), expire_on_commit=False) as session:
        yield session


@pytest.fixture
def clinic(app: Flask) -> Any:
    """Two sites, one user per role, two treated patients and a due follow-up."""
    from tests.web.helpers import build_clinic

    with Session(get_engine(app), expire_on_commit=False) as session:
        return build_clinic(app, session)
