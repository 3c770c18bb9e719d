"""Real processes: `flask --app clinic reminders run-once`, twice in a row and two at once.

The subprocesses run in real time, so the clinic is built around today's date: every
patient's 1-month visit is due today (procedure 30 days ago).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import select

from clinic.models import DeliveryAttempt, Reminder
from tests.factories import make_patient, make_procedure, make_site, make_study, make_user
from tests.reminders.conftest import BERLIN, SmtpServer

REPO = Path(__file__).resolve().parents[2]
PATIENTS = 12


def flask_env(app: Flask, smtp: SmtpServer) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO),
            "CLINIC_DATABASE_URL": app.config["DATABASE_URL"],
            "CLINIC_SMTP_HOST": "127.0.0.1", "CLINIC_SMTP_PORT": str(smtp.port),
            "CLINIC_MAIL_FROM": "clinic@clinic.test", "CLINIC_TIMEZONE": "Europe/Berlin",
            "CLINIC_SECRET_KEY": "test-secret-key"}


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "clinic", *args],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out


@pytest.fixture
def expected(session) -> list[str]:
    """Patients whose visit is today, two nurses; returns the expected recipients."""
    today = datetime.now(BERLIN).date()
    anchor = datetime.combine(today - timedelta(days=30), time(10, 0), tzinfo=BERLIN)
    study, site = make_study(session), make_site(session)
    nurses = [make_user(session, "nurse", site) for _ in range(2)]
    addresses = [n.email for n in nurses]
    for consent in [True] * PATIENTS + [False]:
        patient, _ = make_patient(session, study, site=site, consent=consent,
                                  enrolled_on=today - timedelta(days=40))
        make_procedure(session, patient, when=anchor)
        if consent:
            addresses.append(f"patient{int(patient.study_code[2:])}@example.invalid")
    session.commit()
    return sorted(addresses)


def test_run_once_twice_in_a_row(app, smtp, session, expected):
    env = flask_env(app, smtp)
    first = finish(start(["reminders", "run-once"], env))
    second = finish(start(["reminders", "run-once"], env))
    assert smtp.handler.recipients() == expected
    assert f"sent {len(expected)}," in first and "sent 0," in second


def test_two_processes_at_once_send_each_email_once(app, smtp, session, expected):
    env = flask_env(app, smtp)
    smtp.handler.hold_until_two = True  # the first message waits for the other process
    processes = [start(["reminders", "run-once"], env) for _ in range(2)]
    outputs = [finish(p) for p in processes]
    assert smtp.handler.most_in_flight == 2  # both processes were sending at once
    assert smtp.handler.recipients() == expected  # yet each e-mail arrived exactly once
    sent = [int(out.split("sent ")[1].split(",")[0]) for out in outputs]
    assert sum(sent) == len(expected) and min(sent) >= 1, outputs
    ids = [m["Message-ID"] for m in smtp.handler.messages]
    assert len(set(ids)) == len(ids)
    assert len(session.exec(select(DeliveryAttempt)).all()) == len(expected)
    states = session.exec(select(Reminder.state).where(
        Reminder.visit_date == datetime.now(BERLIN).date())).all()
    assert states == ["sent"] * PATIENTS


def test_run_once_against_a_silent_server_says_what_it_deferred(app, smtp, session, expected,
                                                                rogue_server):
    silent = rogue_server("silent")
    env = {**flask_env(app, smtp), "CLINIC_SMTP_PORT": str(silent.port),
           "CLINIC_SMTP_TIMEOUT": "0.5"}
    out = finish(start(["reminders", "run-once"], env))
    assert silent.connections == 1
    assert "sent 0, retrying 1," in out and f"deferred {len(expected) - 1}" in out
    assert "stopped sending: the mail server did not answer in time" in out
    states = session.exec(select(Reminder.state).where(
        Reminder.visit_date == datetime.now(BERLIN).date())).all()
    assert states == ["pending"] * PATIENTS
    assert finish(start(["reminders", "run-once"], flask_env(app, smtp))).count("sent 0,") == 1
