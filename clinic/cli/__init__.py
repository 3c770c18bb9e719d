"""Command-line interface, Flask's convention: ``flask --app clinic COMMAND``."""

from __future__ import annotations

from flask import Flask

from clinic.cli.analyze import analyze_command
from clinic.cli.audit import audit_group
from clinic.cli.database import create_user_command, init_db_command
from clinic.cli.demo import seed_demo_command
from clinic.cli.dose import dose_group
from clinic.cli.fhir import fhir_group
from clinic.cli.queries import queries_group
from clinic.cli.reminders import reminders_group, scheduler_command
from clinic.cli.report import report_command
from clinic.cli.study import study_group


def init_app(app: Flask) -> None:
    for command in (init_db_command, create_user_command, seed_demo_command, analyze_command,
                    reminders_group, scheduler_command, report_command, study_group, audit_group,
                    queries_group, fhir_group, dose_group):
        app.cli.add_command(command)
