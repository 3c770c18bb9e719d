"""STARTTLS and SMTP AUTH against a real aiosmtpd server that requires both.

The server's certificate comes from a throw-away CA (trustme); the client trusts it only
through ``SMTP_CA_FILE``, so certificate verification is exercised, not switched off.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import time_machine
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from clinic.reminders.delivery import run_once
from clinic.reminders.mail import Outgoing, SmtpSettings, send
from tests.reminders.conftest import (
    PLANNING_DAY,
    SEND_DAY,
    RecordingHandler,
    SmtpServer,
    free_port,
)

USER, PASSWORD = "clinic-mailer", "s3cret-relay"


class Authenticator:
    """Accepts one user name and password; remembers who logged in."""

    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = (auth_data.login.decode(), auth_data.password.decode()) == (USER, PASSWORD)
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # not handled: the server answers 535


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path) -> str:
    path = tmp_path / "clinic-test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def tls_smtp(ca: trustme.CA) -> Iterator[tuple[SmtpServer, Authenticator]]:
    """A server that refuses mail before STARTTLS and before AUTH."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    handler, authenticator, port = RecordingHandler(), Authenticator(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True, authenticator=authenticator,
                            auth_required=True, auth_require_tls=True)
    controller.start()
    yield SmtpServer(handler, port), authenticator
    controller.stop()


def _settings(port: int, ca_file: str | None, **changes: Any) -> SmtpSettings:
    base = SmtpSettings(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                        starttls=True, mail_from="clinic@clinic.test", timeout=10,
                        ca_file=ca_file)
    return replace(base, **changes)


MESSAGE = Outgoing(to="nurse@clinic.test", subject="Due today", body="2 follow-ups due.",
                   message_id="<test-1@clinic.test>")


def test_starttls_and_login_deliver_the_message(tls_smtp, ca_file):
    server, authenticator = tls_smtp
    result = send(_settings(server.port, ca_file), MESSAGE)
    assert (result.outcome, result.code) == ("sent", 250)
    assert authenticator.logins == [USER]
    assert [m["Subject"] for m in server.handler.to("nurse@clinic.test")] == ["Due today"]


def test_a_wrong_password_is_a_retryable_error_and_nothing_is_sent(tls_smtp, ca_file):
    server, _ = tls_smtp
    result = send(_settings(server.port, ca_file, password="wrong"), MESSAGE)
    assert result.outcome == "error" and result.retryable
    assert result.code == 535 and "SMTPAuthenticationError" in (result.error or "")
    assert "wrong" not in (result.error or "")  # the password is never logged
    assert server.handler.messages == []


def test_an_untrusted_certificate_stops_before_the_password_is_sent(tls_smtp):
    server, authenticator = tls_smtp
    result = send(_settings(server.port, ca_file=None), MESSAGE)  # system CAs only
    assert result.outcome == "error" and "CERTIFICATE_VERIFY_FAILED" in (result.error or "")
    assert authenticator.logins == [] and server.handler.messages == []


def test_without_starttls_the_server_refuses_and_it_is_logged(tls_smtp, ca_file):
    server, _ = tls_smtp
    result = send(_settings(server.port, ca_file, starttls=False, user=None), MESSAGE)
    assert result.outcome == "refused" and result.code == 530
    assert server.handler.messages == []


def test_the_reminder_job_uses_the_tls_settings_from_config(app, session, tls_smtp, ca_file):
    from tests.reminders.conftest import build_clinic

    server, authenticator = tls_smtp
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_TLS=True,
                      SMTP_USER=USER, SMTP_PASSWORD=PASSWORD, SMTP_CA_FILE=ca_file,
                      MAIL_FROM="clinic@clinic.test")
    with time_machine.travel(PLANNING_DAY):  # reminders are planned as the visits are
        clinic = build_clinic(session)
    with time_machine.travel(SEND_DAY):
        report = run_once(app)
    assert report.sent == 2 and report.retrying == 0  # the patient reminder and a digest
    assert len(server.handler.to(clinic.email)) == 1
    assert authenticator.logins == [USER, USER]
