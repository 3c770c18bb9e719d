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
