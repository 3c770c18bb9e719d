"""Reminder fixtures: a real SMTP server on loopback (aiosmtpd) and a scheduled clinic.

The server records every message it accepts; ``refuse`` makes it answer DATA with a
4xx/5xx code instead, ``refuse_rcpt`` refuses chosen recipients, so retries and
permanent failures are tested against real refusals. ``rogue_server`` (see
tests/reminders/rogue.py) is a plain-socket impostor: silent, or hanging up mid-DATA.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiosmtpd.controller import Controller
from flask import Flask
from sqlmodel import Session, select

from clinic.models import Assessment, Patient, Procedure, Reminder, StudyTimepoint, User
from tests.factories import make_patient, make_procedure, make_site, make_study, make_user
from tests.reminders.rogue import RogueServer

BERLIN = ZoneInfo("Europe/Berlin")
# The factories' procedure is on 2026-01-15: the 1-month visit is due on 2026-02-14
# (window 02-07..02-21); with 3 days' notice its reminder goes out from 2026-02-11.
SEND_DAY = datetime(2026, 2, 11, 8, 0, tzinfo=BERLIN)
PLANNING_DAY = datetime(2026, 1, 12, 10, 0, tzinfo=BERLIN)


class RecordingHandler:
    """aiosmtpd handler: keeps accepted messages; refuses while ``refuse`` is set."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[EmailMessage] = []
        self.refusals = 0
        self.refuse: str | None = None  # e.g. "451 4.3.0 Try again later"
        self.refuse_rcpt: dict[str, str] = {}  # recipient -> reply, e.g. "550 5.1.1 No such user"
        self.hang_up = False
        self.stall = 0.0  # seconds between taking a message and answering 250
        self.hold_until_two = False
        self.in_flight = 0
        self.most_in_flight = 0
        self.dropped = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        with self.lock:
            refusal = self.refuse_rcpt.get(address)
            if refusal:
                self.refusals += 1
                return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self._wait_for_company()
            reply = self._answer(server, envelope)
            await asyncio.sleep(self.stall)  # taken, but the reply is late
            return reply
        finally:
            self.in_flight -= 1

    async def _wait_for_company(self) -> None:
        """With ``hold_until_two``: hold the first message until a second one arrives
        (another process is mid-send at the same time), for at most 30 s."""
        deadline = time.monotonic() + 30
        while self.hold_until_two and self.in_flight < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        self.hold_until_two = False

    def _answer(self, server: Any, envelope: Any) -> str:
        with self.lock:
            if self.refuse:
                self.refusals += 1
                return self.refuse
            if self.hang_up:  # took the whole message, then the line drops: no reply
                self.dropped += 1
                server.transport.close()
                return "250 2.0.0 never heard"
            message = message_from_bytes(envelope.content, policy=policy.default)
            message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 2.0.0 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["X-Envelope-To"] == address]

    def recipients(self) -> list[str]:
        with self.lock:
            return sorted(m["X-Envelope-To"] for m in self.messages)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpServer:
    handler: RecordingHandler
    port: int


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A plain server: no SMTPUTF8 (aiosmtpd's Controller would offer it by default)."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    yield SmtpServer(handler, port)
    controller.stop()


@pytest.fixture
def utf8_smtp() -> Iterator[SmtpServer]:
    """A server that offers SMTPUTF8 (non-ASCII mailbox names)."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    yield SmtpServer(handler, port)
    controller.stop()


@pytest.fixture
def rogue_server() -> Iterator[Callable[[str], RogueServer]]:
    """Start plain-socket impostors: ``rogue_server("silent")`` or ``("drop-mid-data")``."""
    started: list[RogueServer] = []

    def start(mode: str) -> RogueServer:
        server = RogueServer(mode)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def mail_app(app: Flask, smtp: SmtpServer) -> Flask:
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, MAIL_FROM="clinic@clinic.test",
                      REMINDER_MAX_ATTEMPTS=3)
    return app


@dataclass
class Clinic:
    patient: Patient  # consented, with an e-mail address
    other: Patient  # did not consent
    procedure: Procedure
    nurse: User
    email: str  # the consenting patient's address


def build_clinic(session: Session, when: datetime | None = None) -> Clinic:
    study = make_study(session)
    site = make_site(session)
    nurse = make_user(session, "nurse", site)
    patient, _ = make_patient(session, study, site=site)
    other, _ = make_patient(session, study, site=site, consent=False)
    when = when or datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    procedure = make_procedure(session, patient, when=when)
    make_procedure(session, other, when=when)
    session.commit()
    email = f"patient{int(patient.study_code[2:])}@example.invalid"
    return Clinic(patient, other, procedure, nurse, email)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """The tests' calendar: a few days before the factories' procedure (2026-01-15)."""
    with time_machine.travel(PLANNING_DAY) as traveller:
        yield traveller


@pytest.fixture
def clinic(session: Session, clock: time_machine.Traveller) -> Clinic:
    return build_clinic(session)


def assessment_at(session: Session, patient: Patient, code: str) -> Assessment:
    row = session.exec(select(Assessment).join(StudyTimepoint).where(
        Assessment.patient_id == patient.id, StudyTimepoint.code == code)).one()
    session.refresh(row)
    return row


def reminder_of(session: Session, assessment: Assessment) -> Reminder:
    row = session.exec(select(Reminder).where(Reminder.assessment_id == assessment.id)).one()
    session.refresh(row)
    return row
