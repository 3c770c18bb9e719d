"""What staff should do about an e-mail that did not go out (pure: no Flask, no database).

A failed or unknown row is only useful if someone acts on it, so every such row comes
with a sentence saying what to check: on /reminders for coordinators and nurses, and in
the nurse digest for the patients of the nurse's site. The reason is recognised by the
start of the row's last error, which :mod:`clinic.reminders.mail` and
:mod:`clinic.contact.addresses` always write from their fixed reasons.
"""

from __future__ import annotations

from clinic.contact.addresses import LINE_BREAK, NOT_AN_ADDRESS
from clinic.reminders.mail import (
    ADDRESS_REFUSED,
    COMPOSE_FAILED,
    LINE_DROPPED,
    MESSAGE_REFUSED,
    NO_SMTPUTF8,
    REPLY_LOST,
    SERVER_REFUSED,
    SERVER_SILENT,
    SERVER_UNREACHABLE,
    TRY_LATER,
    UNEXPECTED,
)

ADDRESS_REASONS = (ADDRESS_REFUSED, NO_SMTPUTF8, LINE_BREAK, NOT_AN_ADDRESS)
KNOWN_REASONS = (*ADDRESS_REASONS, MESSAGE_REFUSED, TRY_LATER, SERVER_UNREACHABLE,
                 SERVER_SILENT, SERVER_REFUSED, LINE_DROPPED, REPLY_LOST, COMPOSE_FAILED,
                 UNEXPECTED)
NOT_TRIED = "not tried: "  # a row deferred while the mail server was down


def reason_of(error: str | None) -> str:
    """The fixed reason an error text starts with (or the text itself, shortened)."""
    text = (error or "").removeprefix(NOT_TRIED)
    for reason in KNOWN_REASONS:
        if text.startswith(reason):
            return reason
    return text[:120] or "no reason recorded"


def is_address_problem(error: str | None) -> bool:
    return reason_of(error) in ADDRESS_REASONS


def staff_advice(kind: str, state: str, attempts: int, error: str | None,
                 message_id: str) -> str:
    """For /reminders: what happened and what to check, for one row needing attention."""
    if state == "unknown":
        return ("Unknown: the mail server may or may not have received it; check the mail "
                f"server's log for Message-ID {message_id} before sending again.")
    if state == "pending":
        if attempts == 0:
            return "Not tried yet: the mail server was down. Tried again automatically."
        return "Not delivered yet; tried again automatically at the next try."
    if is_address_problem(error):
        whose = ("the nurse's e-mail address in the user account" if kind == "digest" else
                 "the patient's e-mail address on the patient page, or call the patient")
        return f"Failed: {reason_of(error)}. Check {whose}; then Send again."
    if reason_of(error) == MESSAGE_REFUSED:
        return (f"Failed: {MESSAGE_REFUSED}. Check the mail server's log for Message-ID "
                f"{message_id}; then Send again, or call the patient.")
    return ("Failed: every attempt went wrong (last: "
            f"{reason_of(error)}). Check the mail server and the SMTP settings; then "
            "Send again, or call the patient.")


def nurse_advice(state: str, error: str | None) -> str:
    """For the nurse digest: a patient's reminder did not arrive, why, and what to do.

    Only the fixed reasons are named: a server's own words may quote the address.
    """
    if state == "unknown":
        return ("delivery unknown (the mail server may or may not have received it): "
                "ask the patient whether the reminder arrived")
    reason = reason_of(error)
    if reason in ADDRESS_REASONS:
        return f"{reason}: call the patient"
    known = reason if reason in KNOWN_REASONS else "details on the Reminders page"
    return f"not delivered ({known}): call the patient"
