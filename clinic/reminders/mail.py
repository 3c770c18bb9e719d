"""SMTP delivery of one message, with an honest outcome.

The outcome says whether the message can safely be tried again:

``sent``     the server answered 250 to the end of DATA: it took the message.
``refused``  the server answered a 4xx/5xx code to MAIL, RCPT or DATA: not taken, retry.
``error``    no connection, TLS or login failure before DATA: not taken, retry.
``unknown``  the connection broke while the message was being handed over: the server
             may or may not have taken it. Never retried automatically (at most once).
"""

from __future__ import annotations

import smtplib
import ssl
from contextlib import suppress
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    mail_from: str
    timeout: float = 30.0
    ca_file: str | None = None  # CA bundle to trust for STARTTLS (default: the system's)

    @property
    def domain(self) -> str:
        """The right-hand side of Message-IDs: the sender's domain."""
        address = parseaddr(self.mail_from)[1]
        return address.rpartition("@")[2] or "clinic"


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    body: str
    message_id: str  # derived from the row, e.g. <reminder-12@clinic.example>


@dataclass(frozen=True)
class SendResult:
    outcome: str  # sent | refused | error | unknown
    code: int | None = None
    error: str | None = None

    @property
    def retryable(self) -> bool:
        return self.outcome in {"refused", "error"}


def build_message(settings: SmtpSettings, out: Outgoing) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = settings.mail_from
    message["To"] = out.to
    message["Subject"] = out.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = out.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(out.body)
    return message


def send(settings: SmtpSettings, out: Outgoing) -> SendResult:
    """Hand ``out`` to the SMTP server; never raises for delivery problems."""
    message = build_message(settings, out)
    try:
        connection = _connect(settings)
    except (OSError, smtplib.SMTPException) as error:
        return SendResult("error", getattr(error, "smtp_code", None), _describe(error))
    try:
        return _transact(connection, parseaddr(settings.mail_from)[1], out.to,
                         message.as_bytes())
    finally:
        with suppress(OSError, smtplib.SMTPException):
            connection.quit()


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        connection.ehlo()
        if settings.starttls:
            connection.starttls(context=ssl.create_default_context(cafile=settings.ca_file))
            connection.ehlo()
        if settings.user:
            connection.login(settings.user, settings.password or "")
    except BaseException:
        connection.close()
        raise
    return connection


def _transact(connection: smtplib.SMTP, sender: str, to: str, data: bytes) -> SendResult:
    try:
        code, reply = connection.mail(sender)
        if code != 250:
            return SendResult("refused", code, f"MAIL FROM: {code} {_text(reply)}")
        code, reply = connection.rcpt(to)
        if code not in (250, 251):
            return SendResult("refused", code, f"RCPT TO: {code} {_text(reply)}")
    except (OSError, smtplib.SMTPException) as error:
        return SendResult("error", getattr(error, "smtp_code", None), _describe(error))
    try:
        code, reply = connection.data(data)
    except smtplib.SMTPDataError as error:  # an explicit refusal: the message was not taken
        return SendResult("refused", error.smtp_code, f"DATA: {error.smtp_code} "
                                                       f"{_text(error.smtp_error)}")
    except (OSError, smtplib.SMTPException) as error:
        return SendResult("unknown", None, f"connection lost during DATA: {_describe(error)}")
    if code != 250:  # data() returns the final reply without raising: a refusal
        return SendResult("refused", code, f"DATA: {code} {_text(reply)}")
    return SendResult("sent", code, None)


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:900]
