"""SMTP delivery of one message, with an honest outcome. Never raises for one message.

Outcomes (``SendResult.outcome``, stored as ``delivery_attempt.outcome``):

``sent``     the server answered 250 to the end of DATA: it took the message.
``refused``  the server answered a 4xx/5xx code: it did not take the message.
``error``    no usable connection, an unusable address, or the line broke before the
             whole message was handed over: the server cannot have taken it.
``unknown``  the whole message, final ``CRLF.CRLF`` included, was handed to the socket
             and then the reply never came: the server may or may not have taken it.
             Never retried automatically (at most once).

Whether trying again can help (``SendResult.permanent``):

* permanent, so the row is ``failed`` at once: a 5xx to RCPT (the address is refused),
  a 5xx to DATA or to the end of the message (the message is refused), an address that
  can never be sent to (a CR/LF in it would inject headers; no ``@``; a domain that IDNA
  cannot encode), a non-ASCII mailbox name while the server does not offer SMTPUTF8;
* temporary, so it is retried with back-off: a 4xx, a timeout, no connection, a line
  dropped before the final dot, anything unexpected before the message was complete.

Whether the server itself is at fault (``SendResult.server_down``), so the rest of the
run would fare no better and the caller stops trying (circuit breaker): no connection,
no greeting, EHLO/STARTTLS/login failed, the sender refused (MAIL FROM), a 421, or a
timeout at any step (after the final dot too: that message is then ``unknown``).

Where the conversation broke is tracked by :class:`PhasedSMTP`; the body is handed over
in two writes, the message and then the final dot, so "the dot never left" is known.
Every error text starts with one of the reasons below: the staff page and the nurse
digest recognise it (:mod:`clinic.reminders.advice`).
"""

from __future__ import annotations

import re
import select
import smtplib
import socket
import ssl
from contextlib import suppress
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import formatdate, parseaddr
from enum import StrEnum

from clinic.contact.addresses import EnvelopeAddress, UnusableAddress, envelope_address

DEFAULT_TIMEOUT = 10.0  # seconds, for the connection and for each reply

# Reasons: the start of every error text.
ADDRESS_REFUSED = "address refused by the mail server"
NO_SMTPUTF8 = "the mail server does not accept non-ASCII addresses (SMTPUTF8)"
MESSAGE_REFUSED = "message refused by the mail server"
TRY_LATER = "the mail server asked to try again later"
SERVER_UNREACHABLE = "mail server unreachable"
SERVER_SILENT = "the mail server did not answer in time"
SERVER_REFUSED = "the mail server refused the session"
LINE_DROPPED = "connection lost before the message was complete (not delivered)"
REPLY_LOST = "connection lost after the whole message was sent"
COMPOSE_FAILED = "could not compose the e-mail"
UNEXPECTED = "unexpected error before the message was complete (not delivered)"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    mail_from: str
    timeout: float = DEFAULT_TIMEOUT  # connect, and each read or write (SMTP_TIMEOUT)
    ca_file: str | None = None  # CA bundle to trust for STARTTLS (default: the system's)

    @property
    def domain(self) -> str:
        """The right-hand side of Message-IDs: the sender's domain."""
        address = parseaddr(self.mail_from)[1]
        return address.rpartition("@")[2] or "clinic"


def message_id(kind: str, row_id: int, domain: str) -> str:
    """Derived from the row, so a duplicate of the same row would carry the same id."""
    return f"<{kind}-{row_id}@{domain}>"


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
    permanent: bool = False  # trying again cannot help: failed at once
    server_down: bool = False  # the server, not this message: stop this run's sending

    @property
    def retryable(self) -> bool:
        return self.outcome in {"refused", "error"} and not self.permanent


class Phase(StrEnum):
    """How far the conversation got; decides what a broken line means."""

    CONNECT = "connect"  # TCP connection and the 220 greeting
    SESSION = "session"  # EHLO, STARTTLS, AUTH
    ENVELOPE = "envelope"  # MAIL FROM, RCPT TO, the DATA command
    BODY = "body"  # the message, up to but not including the final dot
    REPLY = "reply"  # the final CRLF.CRLF was handed to the socket: awaiting 250


class PhasedSMTP(smtplib.SMTP):
    """smtplib.SMTP that knows whether the end of the message left this process.

    ``data`` is smtplib's, in steps: the DATA command, the dot-stuffed message, a last
    look whether the server hung up meanwhile, and only then the final dot.
    """

    phase = Phase.CONNECT

    def connect(self, host: str = "localhost", port: int = 0,
                source_address: tuple[str, int] | None = None) -> tuple[int, bytes]:
        """smtplib's, remembering the host name STARTTLS verifies the certificate against
        (smtplib only does so when the host is given to the constructor, which would
        connect before the phase could be tracked)."""
        self.phase = Phase.CONNECT
        self._host = host
        greeting = super().connect(host, port, source_address)
        # The message and its final dot are two writes before a read: without NODELAY,
        # Nagle's algorithm holds the dot until the server's delayed ACK (~40 ms each).
        if self.sock is not None and self.sock.family in (socket.AF_INET, socket.AF_INET6):
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return greeting

    def data(self, msg: bytes | str) -> tuple[int, bytes]:
        assert isinstance(msg, bytes)
        self.phase = Phase.ENVELOPE
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        self.phase = Phase.BODY
        self._write(_dot_stuffed(msg))
        self._hang_up_check()
        self._write(b".\r\n")
        self.phase = Phase.REPLY
        return self.getreply()

    def _write(self, chunk: bytes) -> None:
        if self.sock is None:
            raise smtplib.SMTPServerDisconnected("not connected")
        self.sock.sendall(chunk)  # a timeout stays a timeout (smtplib.send hides it)

    def _hang_up_check(self) -> None:
        """A server says nothing during DATA: anything readable now is a hang-up or an
        early refusal, and the final dot must not follow."""
        assert self.sock is not None
        pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
        if pending or select.select([self.sock], [], [], 0)[0]:
            code, reply = self.getreply()  # raises SMTPServerDisconnected on a hang-up
            raise smtplib.SMTPDataError(code, reply)


def _dot_stuffed(data: bytes) -> bytes:
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def build_message(settings: SmtpSettings, out: Outgoing,
                  address: EnvelopeAddress | None = None) -> EmailMessage:
    """The message; with SMTPUTF8 headers only when the address needs them."""
    address = address or envelope_address(out.to)
    message = EmailMessage(policy=SMTPUTF8 if address.smtputf8 else SMTP)
    message["From"] = settings.mail_from
    message["To"] = address.header
    message["Subject"] = out.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = out.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(out.body)
    return message


def send(settings: SmtpSettings, out: Outgoing) -> SendResult:
    """Hand ``out`` to the SMTP server; never raises for anything about this message."""
    try:
        address = envelope_address(out.to)
        data = build_message(settings, out, address).as_bytes()
    except UnusableAddress as error:
        return SendResult("error", None, str(error), permanent=True)
    except Exception as error:  # nothing was sent: safe to retry later
        return SendResult("error", None, f"{COMPOSE_FAILED}: {_describe(error)}")
    connection = PhasedSMTP(timeout=settings.timeout)
    try:
        return _converse(connection, settings, address, data)
    except Exception as error:
        return _broken(connection.phase, error)
    finally:
        _hang_up(connection)


def _hang_up(connection: PhasedSMTP) -> None:
    """QUIT politely, except mid-body, where QUIT would be read as message text: there
    the connection is only closed, and the server drops the unfinished message."""
    if connection.phase is not Phase.BODY:
        with suppress(Exception):
            connection.quit()
    connection.close()


def _converse(connection: PhasedSMTP, settings: SmtpSettings, address: EnvelopeAddress,
              data: bytes) -> SendResult:
    code, reply = connection.connect(settings.host, settings.port)
    if code != 220:
        return SendResult("refused", code, f"{SERVER_REFUSED}: greeting {code} {_text(reply)}",
                          server_down=True)
    connection.phase = Phase.SESSION
    connection.ehlo_or_helo_if_needed()
    if settings.starttls:
        connection.starttls(context=ssl.create_default_context(cafile=settings.ca_file))
        connection.ehlo()
    if settings.user:
        connection.login(settings.user, settings.password or "")
    connection.phase = Phase.ENVELOPE
    if address.smtputf8 and not connection.has_extn("smtputf8"):
        return SendResult("error", None, NO_SMTPUTF8, permanent=True)
    return _transact(connection, parseaddr(settings.mail_from)[1], address, data)


def _transact(connection: PhasedSMTP, sender: str, address: EnvelopeAddress,
              data: bytes) -> SendResult:
    options = ["SMTPUTF8", "BODY=8BITMIME"] if address.smtputf8 else []
    code, reply = connection.mail(sender, options)
    if code != 250:
        return SendResult("refused", code, f"{SERVER_REFUSED}: MAIL FROM {code} {_text(reply)}",
                          server_down=True)
    code, reply = connection.rcpt(address.mailbox)
    if code not in (250, 251):
        return _refusal("RCPT TO", code, reply, ADDRESS_REFUSED)
    try:
        code, reply = connection.data(data)
    except smtplib.SMTPDataError as error:  # an explicit answer: the message was not taken
        return _refusal("DATA", error.smtp_code, error.smtp_error, MESSAGE_REFUSED)
    if code != 250:
        return _refusal("end of DATA", code, reply, MESSAGE_REFUSED)
    return SendResult("sent", code, None)


def _refusal(step: str, code: int, reply: bytes | str, permanent_reason: str) -> SendResult:
    """5xx: permanent; 4xx (or anything odd): try later; 421: the server is going away."""
    detail = f"{step} {code} {_text(reply)}"
    if 500 <= code < 600:
        return SendResult("refused", code, f"{permanent_reason}: {detail}", permanent=True)
    return SendResult("refused", code, f"{TRY_LATER}: {detail}", server_down=code == 421)


def _broken(phase: Phase, error: BaseException) -> SendResult:
    """An exception in ``phase``: what it means for the message, and for the server."""
    code = getattr(error, "smtp_code", None)
    detail = _describe(error)
    if phase is Phase.REPLY:  # a server that stays silent here would stall every message
        return SendResult("unknown", code, f"{REPLY_LOST}: {detail}",
                          server_down=_timed_out(error))
    if phase is Phase.CONNECT:
        reason = SERVER_SILENT if _timed_out(error) else SERVER_UNREACHABLE
        return SendResult("error", code, f"{reason}: {detail}", server_down=True)
    if phase is Phase.SESSION:
        reason = SERVER_SILENT if _timed_out(error) else SERVER_REFUSED
        return SendResult("error", code, f"{reason}: {detail}", server_down=True)
    if _timed_out(error):
        return SendResult("error", code, f"{SERVER_SILENT}: {detail}", server_down=True)
    if isinstance(error, (OSError, smtplib.SMTPException)):
        return SendResult("error", code, f"{LINE_DROPPED}: {detail}")
    return SendResult("error", code, f"{UNEXPECTED}: {detail}")


def _timed_out(error: BaseException) -> bool:
    """smtplib reports a read timeout as SMTPServerDisconnected; the cause tells."""
    return isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError)


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:900]
