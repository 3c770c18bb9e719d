"""One message against real servers on loopback: where the conversation broke decides
whether the message may be tried again (clinic.reminders.mail)."""

from __future__ import annotations

import time
from dataclasses import replace

from clinic.contact.addresses import LINE_BREAK, NOT_AN_ADDRESS
from clinic.reminders.mail import (
    ADDRESS_REFUSED,
    LINE_DROPPED,
    MESSAGE_REFUSED,
    NO_SMTPUTF8,
    REPLY_LOST,
    SERVER_SILENT,
    SERVER_UNREACHABLE,
    TRY_LATER,
    Outgoing,
    SmtpSettings,
    send,
)
from tests.reminders.conftest import free_port

MESSAGE = Outgoing(to="anna@example.org", subject="Your visit", body="On 2026-02-14.",
                   message_id="<reminder-1@clinic.test>")


def settings(port: int, timeout: float = 5) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, user=None, password=None,
                        starttls=False, mail_from="clinic@clinic.test", timeout=timeout)


def test_poison_addresses_are_refused_for_good_before_any_connection(rogue_server):
    silent = rogue_server("silent")
    for to, reason in (("evil@example.org\r\nBcc: all@example.org", LINE_BREAK),
                       ("no-at-sign", NOT_AN_ADDRESS), ("anna@\u2488.de", NOT_AN_ADDRESS)):
        result = send(settings(silent.port), replace(MESSAGE, to=to))
        assert (result.outcome, result.permanent, result.server_down) == ("error", True, False)
        assert result.error.startswith(reason) and not result.retryable
    assert silent.connections == 0


def test_a_non_ascii_mailbox_needs_smtputf8(smtp, utf8_smtp):
    to = replace(MESSAGE, to="jürgen@müller.de")
    refused = send(settings(smtp.port), to)
    assert (refused.outcome, refused.permanent, refused.error) == ("error", True, NO_SMTPUTF8)
    assert smtp.handler.messages == []
    assert send(settings(utf8_smtp.port), to).outcome == "sent"
    assert utf8_smtp.handler.recipients() == ["jürgen@xn--mller-kva.de"]


def test_refusals_permanent_and_temporary(smtp):
    smtp.handler.refuse_rcpt["anna@example.org"] = "550 5.1.1 No such user"
    result = send(settings(smtp.port), MESSAGE)
    assert (result.outcome, result.code, result.permanent) == ("refused", 550, True)
    assert result.error.startswith(ADDRESS_REFUSED)
    smtp.handler.refuse_rcpt["anna@example.org"] = "451 4.7.1 Greylisted, try later"
    result = send(settings(smtp.port), MESSAGE)
    assert (result.outcome, result.code, result.retryable) == ("refused", 451, True)
    assert result.error.startswith(TRY_LATER) and not result.server_down
    smtp.handler.refuse_rcpt.clear()
    smtp.handler.refuse = "552 5.3.4 Message too big"
    result = send(settings(smtp.port), MESSAGE)
    assert (result.code, result.permanent) == (552, True)
    assert result.error.startswith(MESSAGE_REFUSED)
    assert smtp.handler.messages == []


def test_nothing_listening_means_the_server_is_down():
    result = send(settings(free_port()), MESSAGE)
    assert (result.outcome, result.retryable, result.server_down) == ("error", True, True)
    assert result.error.startswith(SERVER_UNREACHABLE)


def test_a_silent_server_costs_one_timeout(rogue_server):
    silent = rogue_server("silent")
    started = time.monotonic()
    result = send(settings(silent.port, timeout=0.3), MESSAGE)
    assert time.monotonic() - started < 1.5
    assert (result.outcome, result.retryable, result.server_down) == ("error", True, True)
    assert result.error.startswith(SERVER_SILENT)


def test_a_hang_up_before_the_final_dot_is_retryable_not_unknown(rogue_server):
    dropping = rogue_server("drop-mid-data")
    result = send(settings(dropping.port), MESSAGE)
    assert (result.outcome, result.retryable, result.server_down) == ("error", True, False)
    assert result.error.startswith(LINE_DROPPED)
    assert dropping.dropped_mid_data == 1


def test_a_reset_while_a_large_body_is_written_is_retryable(rogue_server):
    resetting = rogue_server("reset-mid-body")
    large = replace(MESSAGE, body="a line of the visit reminder\n" * 400_000)  # ~12 MB
    result = send(settings(resetting.port), large)
    assert (result.outcome, result.retryable) == ("error", True)
    assert result.error.startswith(LINE_DROPPED)


def test_a_hang_up_after_the_whole_message_is_unknown(smtp):
    smtp.handler.hang_up = True
    result = send(settings(smtp.port), MESSAGE)
    assert (result.outcome, result.retryable) == ("unknown", False)
    assert result.error.startswith(REPLY_LOST) and smtp.handler.dropped == 1
