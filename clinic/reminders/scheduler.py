"""The scheduler process: ``flask --app clinic scheduler``, one per deployment.

Never started inside ``create_app``: web workers (``gunicorn -w 4 wsgi:app``) only
serve pages. This process runs APScheduler's BlockingScheduler with its job store
(table ``apscheduler_jobs``) in the app database and three jobs:

* ``reminders-daily``   cron at REMINDER_HOUR in TIMEZONE: plan, then deliver; then
  fold the day's visit- and enrollment-tally deltas (clinic.scheduling.tally.compact_tallies);
* ``reminders-deliver`` every REMINDER_POLL_MINUTES, from REMINDER_HOUR to midnight:
  deliver rows that became due (retries after back-off, reminders planned during
  the day). It never plans digests.
* ``audit-seal``        every minute: seal the newest audit events into the audit
  trail's hash chain (clinic.audit.chain).
* ``data-queries``      nightly at 02:00 in TIMEZONE: the automatic data-query rules over
  every study (clinic.queries.rules); saves run them for their patient already.

Started after REMINDER_HOUR (a restart, a deployment), it also runs the daily job once
at once: a run is idempotent, so a day's run is caught up, never doubled.

A lease row (:mod:`clinic.reminders.lease`) keeps a second scheduler from starting;
the claim protocol makes double sends impossible even if two ran.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from datetime import timedelta
from types import FrameType

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlmodel import Session

from clinic.db import get_engine, session_scope
from clinic.models.base import utcnow
from clinic.reminders.delivery import deliver_due, run_once
from clinic.reminders.lease import acquire_lease, lease_of, release_lease
from clinic.reminders.settings import reminder_settings
from clinic.scheduling.tally import compact_tallies

log = logging.getLogger("clinic.reminders.scheduler")
LEASE_NAME = "reminders-scheduler"
LEASE_TTL = timedelta(minutes=2)
RENEW_SECONDS = 30
DAILY_JOB, DELIVER_JOB, CATCH_UP_JOB = "reminders-daily", "reminders-deliver", "catch-up"
SEAL_JOB, SEAL_SECONDS = "audit-seal", 60
QUERIES_JOB, QUERIES_HOUR = "data-queries", 2

_bound: dict[str, object] = {}  # the app and lease holder of this process


class SchedulerAlreadyRunning(RuntimeError):
    """Another live scheduler process holds the lease."""


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def bind(app: Flask, holder: str) -> None:
    """Give the stored jobs (referenced by name) this process's app and lease holder."""
    _bound.update(app=app, holder=holder)


def _app() -> Flask:
    app = _bound.get("app")
    if not isinstance(app, Flask):
        raise RuntimeError("scheduler jobs run only inside `flask --app clinic scheduler`")
    return app


def _still_ours() -> bool:
    app = _app()
    with Session(get_engine(app)) as session:
        ours = acquire_lease(session, LEASE_NAME, str(_bound["holder"]), LEASE_TTL)
    if not ours:
        log.error("lease %s lost to another process: skipping the job", LEASE_NAME)
    return ours


def daily_job() -> None:
    """Stored in the job store by reference: clinic.reminders.scheduler:daily_job."""
    if _still_ours():
        app = _app()
        log.info("daily reminders: %s", run_once(app).describe())
        with session_scope(app) as session:
            log.info("visit and enrollment tallies: %d delta rows folded", compact_tallies(session))
        from clinic.reports.jobs import jobs_dir, remove_old_jobs

        removed = remove_old_jobs(jobs_dir(app.config, app.instance_path))
        log.info("report jobs: %d older than a day removed", removed)


def deliver_job() -> None:
    app = _app()
    settings = reminder_settings(app.config)
    if utcnow().astimezone(settings.timezone).hour < settings.hour:
        return  # quiet before REMINDER_HOUR: nothing goes out at night
    if _still_ours():
        report = deliver_due(app)
        if report.server_problem:
            log.warning("delivery: %s", report.describe())
        elif report.sent or report.retrying or report.failed or report.unknown:
            log.info("delivery: %s", report.describe())


def seal_job() -> None:
    """Stored in the job store by reference: clinic.reminders.scheduler:seal_job."""
    from clinic.audit.chain import seal_all

    with session_scope(_app()) as session:
        sealed = seal_all(session)
    if sealed:
        log.info("audit: %d events sealed", sealed)


def queries_job() -> None:
    """Stored in the job store by reference: clinic.reminders.scheduler:queries_job."""
    from clinic.queries.rules import run_rules

    if _still_ours():
        with session_scope(_app()) as session:
            log.info("data queries: %d raised by the rules", run_rules(session))


def build_scheduler(app: Flask) -> BlockingScheduler:
    settings = reminder_settings(app.config)
    scheduler = BlockingScheduler(
        timezone=settings.timezone,
        jobstores={"default": SQLAlchemyJobStore(engine=get_engine(app)),
                   "memory": MemoryJobStore()},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600})
    scheduler.add_job(f"{__name__}:daily_job", CronTrigger(
        hour=settings.hour, minute=0, timezone=settings.timezone),
        id=DAILY_JOB, name="daily reminders and nurse digests", replace_existing=True)
    scheduler.add_job(f"{__name__}:deliver_job", IntervalTrigger(
        seconds=int(settings.poll.total_seconds()), timezone=settings.timezone),
        id=DELIVER_JOB, name="deliver due reminders (retries)", replace_existing=True)
    scheduler.add_job(f"{__name__}:seal_job", IntervalTrigger(
        seconds=SEAL_SECONDS, timezone=settings.timezone),
        id=SEAL_JOB, name="seal new audit events into the hash chain", replace_existing=True)
    scheduler.add_job(f"{__name__}:queries_job", CronTrigger(
        hour=QUERIES_HOUR, minute=0, timezone=settings.timezone),
        id=QUERIES_JOB, name="automatic data queries", replace_existing=True)
    scheduler.add_job(_renew_or_stop, IntervalTrigger(seconds=RENEW_SECONDS),
                      args=[scheduler], id="lease", jobstore="memory")
    now = utcnow().astimezone(settings.timezone)
    if now.hour >= settings.hour:  # started after today's run time: catch up (idempotent)
        scheduler.add_job(daily_job, id=CATCH_UP_JOB, jobstore="memory", next_run_time=now)
    return scheduler


def _renew_or_stop(scheduler: BlockingScheduler) -> None:
    if not _still_ours():
        scheduler.shutdown(wait=False)


def run_scheduler(app: Flask, holder: str | None = None) -> None:
    """Take the lease, run the scheduler until SIGTERM/SIGINT, give the lease back."""
    holder = holder or holder_name()
    with Session(get_engine(app)) as session:
        if not acquire_lease(session, LEASE_NAME, holder, LEASE_TTL):
            current = lease_of(session, LEASE_NAME)
            raise SchedulerAlreadyRunning(
                f"another scheduler holds the lease: {current.holder if current else '?'} "
                f"(until {current.expires_at.isoformat() if current else '?'})")
    bind(app, holder)
    scheduler = build_scheduler(app)
    signal.signal(signal.SIGTERM, _exit)
    try:
        log.info("scheduler %s started", holder)
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        with Session(get_engine(app)) as session:
            release_lease(session, LEASE_NAME, holder)
        log.info("scheduler %s stopped", holder)


def _exit(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)
