"""The factory: config layers, instance secret, schema check, SQLite pragmas, login, CSRF."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from clinic import create_app
from clinic.config import from_environment, instance_secret_key
from clinic.db import (
    SCHEMA_HEAD,
    alembic_head,
    get_engine,
    make_engine,
    schema_revisions,
    upgrade_to_head,
)
from clinic.exceptions import SchemaOutOfDate
from tests.factories import PASSWORD, make_study, make_user


def test_environment_overrides_are_typed():
    values = from_environment({"CLINIC_SMTP_PORT": "2525", "CLINIC_SMTP_TLS": "true",
                               "CLINIC_SMTP_CA_FILE": "/etc/clinic/ca.pem",
                               "CLINIC_TIMEZONE": "Africa/Cairo", "UNRELATED": "x"})
    assert values == {"SMTP_PORT": 2525, "SMTP_TLS": True, "SMTP_CA_FILE": "/etc/clinic/ca.pem",
                      "TIMEZONE": "Africa/Cairo"}


def test_secret_key_is_generated_once_into_instance(tmp_path):
    first = instance_secret_key(tmp_path)
    assert len(first) == 64 and instance_secret_key(tmp_path) == first
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


def test_app_refuses_an_empty_database_and_names_the_fix(tmp_path):
    with pytest.raises(SchemaOutOfDate, match="flask --app clinic init-db"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "SECRET_KEY": "x"})


def test_the_schema_head_the_app_expects_is_alembics_head():
    assert alembic_head() == SCHEMA_HEAD


def test_a_migrated_database_is_at_the_head_and_an_older_one_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "CHECK_SCHEMA": False})
    upgrade_to_head(app)
    assert schema_revisions(get_engine(app)) == (SCHEMA_HEAD, SCHEMA_HEAD)
    create_app({"DATABASE_URL": url, "SECRET_KEY": "x"})  # starts
    with get_engine(app).begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0011'"))
    with pytest.raises(SchemaOutOfDate, match="at revision 0011"):
        create_app({"DATABASE_URL": url, "SECRET_KEY": "x"})
    get_engine(app).dispose()


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_login_then_home_lists_the_studies(client, session):
    user = make_user(session, "physician")
    make_study(session)
    session.commit()
    assert client.get("/").status_code == 302
    response = client.post("/login", data={"email": user.email, "password": "wrong-password"})
    assert b"not recognised" in response.data
    response = client.post("/login", data={"email": user.email, "password": PASSWORD},
                           follow_redirects=True)
    assert b"DEMO" in response.data and b"SYNTHETIC" in response.data


def test_inactive_users_cannot_log_in(client, session):
    user = make_user(session, "nurse")
    user.is_active = False
    session.add(user)
    session.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401 and b"This account is deactivated" in response.data
    wrong = client.post("/login", data={"email": user.email, "password": PASSWORD + "?"})
    assert wrong.status_code == 401 and b"not recognised" in wrong.data
    assert client.get("/worklist").status_code == 302  # not logged in either way


def test_forms_without_a_csrf_token_are_refused(test_database, tmp_path, session):
    app = create_app({"DATABASE_URL": test_database.fresh_url(tmp_path), "SECRET_KEY": "x",
                      "TESTING": True})
    response = app.test_client().post("/login", data={"email": "a@b.c", "password": "x"})
    assert response.status_code == 400
    get_engine(app).dispose()


def _postgres_url(app, engine_kind) -> str:  # type: ignore[no-untyped-def]
    if engine_kind != "postgresql":
        pytest.skip("the pool's connection test is PostgreSQL's (SQLite has no server)")
    return get_engine(app).url.render_as_string(hide_password=False)


def test_a_pooled_connection_that_sat_idle_is_tested_and_replaced_if_gone(app, engine_kind):
    engine = make_engine(_postgres_url(app, engine_kind), pool_size=1, max_overflow=0,
                         ping_after_idle=0.05)
    try:
        with engine.connect() as connection:
            first = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with get_engine(app).connect() as admin:  # the server drops the idle connection
            assert admin.execute(text("SELECT pg_terminate_backend(:pid)"),
                                 {"pid": first}).scalar()
        time.sleep(0.1)
        with engine.connect() as connection:  # tested, found gone, replaced: no error
            second = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        assert second != first
    finally:
        engine.dispose()


@pytest.mark.parametrize(("idle", "tested"), [(0.0, 2), (60.0, 0)])
def test_only_a_connection_that_sat_idle_is_tested(app, engine_kind, monkeypatch, idle,
                                                   tested):
    """A new connection is not tested, nor one used less than ``ping_after_idle`` ago
    (under load none is: no round trip before each request's statements)."""
    engine = make_engine(_postgres_url(app, engine_kind), pool_size=1, max_overflow=0,
                         ping_after_idle=idle)
    pings: list[bool] = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(True) or ping(c))
    try:
        for _ in range(3):
            with engine.connect() as connection:
                assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
    assert len(pings) == tested


def test_warm_up_puts_the_start_up_objects_out_of_the_collectors_reach():
    """A full collection in a web worker walked every module, class and table of the app
    and of pandas/SciPy (160-185 ms with the worker's threads stopped); after warm_up
    they are frozen, and what the collector still tracks is a small remainder."""
    import subprocess
    import sys

    probe = ("import gc; from clinic import warm_up; warm_up(); "
             "print(gc.get_freeze_count(), len(gc.get_objects()))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    frozen, tracked = int(out[0]), int(out[1])
    assert frozen > 100_000 and tracked < frozen / 10


def test_options_of_a_page_is_204_with_the_allow_header(client):
    """As on the API (tests/api/test_addresses.py): Flask's answer was a 200 with an empty
    body labelled text/html."""
    answer = client.options("/login")
    assert answer.status_code == 204 and "Content-Type" not in answer.headers
    assert {m.strip() for m in answer.headers["Allow"].split(",")} >= {"GET", "POST"}
