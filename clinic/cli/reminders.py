"""reminders run-once, and the scheduler process."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("reminders")
def reminders_group() -> None:
    """Patient visit reminders and nurse digests (e-mail)."""


@reminders_group.command("run-once")
@with_appcontext
def run_once_command() -> None:
    """Plan today's reminders and digests and send everything due, now."""
    from clinic.reminders.delivery import run_once

    _log_to_stderr()
    report = run_once(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"reminders: {report.describe()}")


@reminders_group.command("replan")
@with_appcontext
def replan_command() -> None:
    """Re-plan every upcoming visit's reminder: after rows were written around the app
    (an import, a restored backup) or REMINDER_DAYS_BEFORE changed. The daily run only
    re-checks the reminders due that day; everything else is planned as it is saved."""
    from clinic.db import session_scope
    from clinic.reminders.planning import replan_all_reminders
    from clinic.reminders.settings import reminder_settings

    settings = reminder_settings(current_app.config)
    with session_scope() as session:
        changed = replan_all_reminders(session, today=settings.today(),
                                       days_before=settings.days_before)
    click.echo(f"reminders: {changed} planned, re-planned or cancelled")


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the reminder scheduler (one process per deployment, beside the web workers)."""
    from clinic.reminders.scheduler import SchedulerAlreadyRunning, run_scheduler

    _log_to_stderr()
    try:
        run_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]
    except SchedulerAlreadyRunning as error:
        raise click.ClickException(str(error)) from error


def _log_to_stderr() -> None:
    logger = logging.getLogger("clinic.reminders")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
