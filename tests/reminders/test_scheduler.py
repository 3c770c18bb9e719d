"""The scheduler process: one per database (lease), jobs in APScheduler's job store."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from datetime import timedelta

import time_machine
from alembic import command
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import inspect, text
from sqlmodel import Session

from clinic.db import alembic_config, get_engine
from clinic.reminders import scheduler
from clinic.reminders.lease import acquire_lease, lease_of
from tests.reminders.conftest import SEND_DAY
from tests.reminders.test_processes import finish, flask_env, start


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def _job_ids(engine) -> list[str]:  # type: ignore[no-untyped-def]
    if not inspect(engine).has_table("apscheduler_jobs"):
        return []
    with engine.connect() as connection:
        return sorted(connection.execute(text("SELECT id FROM apscheduler_jobs")).scalars())


def _drop_job_table(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))


def test_one_scheduler_process_per_database(app, smtp, session):
    engine = get_engine(app)
    _drop_job_table(engine)
    env = flask_env(app, smtp)
    first = start(["scheduler"], env)
    try:
        wait_for(lambda: _job_ids(engine) == ["audit-seal", "data-queries", "reminders-daily",
                                               "reminders-deliver"])
        wait_for(lambda: lease_of(session, scheduler.LEASE_NAME) is not None)
        second = start(["scheduler"], env)
        _out, err = second.communicate(timeout=60)
        assert second.returncode != 0
        assert "another scheduler holds the lease" in err
    finally:
        first.send_signal(signal.SIGTERM)
    finish(first)
    assert lease_of(session, scheduler.LEASE_NAME) is None  # given back on exit
    _drop_job_table(engine)


def test_lease_expires_when_its_holder_dies(session):
    ttl = timedelta(minutes=2)
    assert acquire_lease(session, "test", "host:1", ttl)
    assert acquire_lease(session, "test", "host:1", ttl)  # renewal
    assert not acquire_lease(session, "test", "host:2", ttl)
    with time_machine.travel(lease_of(session, "test").expires_at + timedelta(seconds=1)):
        assert acquire_lease(session, "test", "host:2", ttl)
    assert lease_of(session, "test").holder == "host:2"


def test_jobs_deliver_when_bound_to_the_app(mail_app, smtp, session, clinic):
    scheduler.bind(mail_app, "test-holder")
    with time_machine.travel(SEND_DAY):
        scheduler.daily_job()
        scheduler.deliver_job()
        with Session(get_engine(mail_app)) as other:  # the jobs took the lease
            assert not acquire_lease(other, scheduler.LEASE_NAME, "another",
                                     scheduler.LEASE_TTL)
    assert smtp.handler.recipients() == sorted([clinic.email, clinic.nurse.email])


def test_deliver_job_is_quiet_before_reminder_hour(mail_app, smtp, session, clinic):
    scheduler.bind(mail_app, "test-holder")
    with time_machine.travel(SEND_DAY.replace(hour=5)):
        scheduler.deliver_job()
    assert smtp.handler.messages == []


def test_schema_check_ignores_the_job_store_table(app):
    engine = get_engine(app)
    SQLAlchemyJobStore(engine=engine).jobs_t.create(engine, checkfirst=True)
    try:
        with engine.begin() as connection:
            cfg = alembic_config(engine.url.render_as_string(hide_password=False))
            cfg.attributes["connection"] = connection
            command.check(cfg)  # raises if the models and the migrations disagree
    finally:
        _drop_job_table(engine)


def test_a_scheduler_started_after_the_reminder_hour_catches_up(app):
    with time_machine.travel(SEND_DAY.replace(hour=5)):
        early = {job.id for job in scheduler.build_scheduler(app).get_jobs()}
    with time_machine.travel(SEND_DAY.replace(hour=9)):
        late = {job.id for job in scheduler.build_scheduler(app).get_jobs()}
    assert early == {"reminders-daily", "reminders-deliver", "audit-seal", "data-queries", "lease"}
    assert late == early | {"catch-up"}
