"""Self-report fixtures: the demo protocol (ladder 0, 3, 7 days; call after 10), one
consenting patient treated on 2026-01-15 (1-month window 02-07 .. 02-21), a real SMTP
server, and helpers to run the daily job on a given day and read the links it sent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlmodel import Session, select

from clinic.demo.protocol import DEMO_STUDY
from clinic.models import Assessment, Patient, SelfReportMessage, Study, User
from clinic.reminders.delivery import RunReport, run_once
from clinic.selfreport.ladder import LadderSpec
from tests.factories import make_patient, make_procedure, make_site, make_study, make_user
from tests.reminders.conftest import (  # noqa: F401  (fixtures)
    BERLIN,
    PLANNING_DAY,
    SmtpServer,
    assessment_at,
    mail_app,
    smtp,
)

LINK = re.compile(r"/r/([A-Za-z0-9_-]{32})")
OPENS, CLOSES = date(2026, 2, 7), date(2026, 2, 21)  # the 1-month window


@dataclass
class SelfReportClinic:
    study: Study
    patient: Patient
    nurse: User
    email: str


def build(session: Session, *, second_factor: str = "none", language: str = "en",
          birth_date: date | None = date(1961, 5, 4)) -> SelfReportClinic:
    definition = replace(DEMO_STUDY, self_report=LadderSpec((0, 3, 7), 10, second_factor))
    study = make_study(session, definition)
    site = make_site(session)
    nurse = make_user(session, "nurse", site)
    patient, _ = make_patient(session, study, site=site, self_report=True, language=language,
                              birth_date=birth_date)
    make_procedure(session, patient)
    session.commit()
    return SelfReportClinic(study, patient, nurse,
                            f"patient{int(patient.study_code[2:])}@example.invalid")


@pytest.fixture
def clinic(session: Session) -> SelfReportClinic:
    with time_machine.travel(PLANNING_DAY):
        return build(session)


def at(day: date, hour: int = 7) -> Any:
    return time_machine.travel(datetime.combine(day, time(hour), tzinfo=BERLIN), tick=False)


def run_on(app: Flask, day: date) -> RunReport:
    with at(day):
        return run_once(app)


def links(server: SmtpServer, address: str) -> list[str]:
    return [LINK.search(m.get_content()).group(1)  # type: ignore[union-attr]
            for m in server.handler.to(address)]


def messages_of(session: Session, assessment: Assessment) -> list[SelfReportMessage]:
    session.expire_all()
    return list(session.exec(select(SelfReportMessage).where(
        SelfReportMessage.assessment_id == assessment.id).order_by(SelfReportMessage.step)))


@pytest.fixture
def month_1(session: Session, clinic: SelfReportClinic) -> Iterator[Assessment]:
    yield assessment_at(session, clinic.patient, "month_1")
