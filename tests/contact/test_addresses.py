"""E-mail addresses: the entry check (email-validator) and the send-time envelope form."""

from __future__ import annotations

import pytest

from clinic.contact.addresses import (
    LINE_BREAK,
    NOT_AN_ADDRESS,
    UnusableAddress,
    envelope_address,
    normalize_email,
)
from clinic.exceptions import ValidationError


@pytest.mark.parametrize(("text", "stored"), [
    ("anna@example.org", "anna@example.org"),
    ("  anna@Example.ORG ", "anna@example.org"),  # trimmed; the domain lower-cased
    ("jürgen@müller.de", "jürgen@müller.de"),  # SMTPUTF8 and IDNA addresses are fine
    ("patient7@example.invalid", "patient7@example.invalid"),  # the demo's reserved domain
    ("nurse@clinic.test", "nurse@clinic.test"),
])
def test_valid_addresses_are_normalised(text, stored):
    assert normalize_email(text) == stored


@pytest.mark.parametrize(("text", "says"), [
    ("evil@example.org\r\nBcc: all@example.org", "line break"),
    ("anna@example.org\n", "line break"),
    ("not-an-address", "@-sign"),
    ("Anna <anna@example.org>", "display name"),
    ("anna@", "after the @-sign"),
    ("an na@example.org", "invalid characters"),
    ("anna@localhost", "period"),
    ("anna@xn--zz.de", "IDNA"),
])
def test_invalid_addresses_are_refused_with_a_clear_message(text, says):
    with pytest.raises(ValidationError) as refused:
        normalize_email(text)
    assert list(refused.value.errors) == ["email"]
    assert says in refused.value.errors["email"]


def test_envelope_encodes_a_unicode_domain_with_idna():
    address = envelope_address("anna@müller.de")
    assert (address.mailbox, address.header, address.smtputf8) == (
        "anna@xn--mller-kva.de", "anna@xn--mller-kva.de", False)


def test_envelope_of_a_unicode_mailbox_needs_smtputf8():
    address = envelope_address("jürgen@müller.de")
    assert (address.mailbox, address.header, address.smtputf8) == (
        "jürgen@xn--mller-kva.de", "jürgen@müller.de", True)


def test_envelope_leaves_the_server_to_judge_internal_domains():
    assert envelope_address("nurse@mail.clinic.local").mailbox == "nurse@mail.clinic.local"


@pytest.mark.parametrize(("text", "reason"), [
    ("evil@example.org\r\nBcc: all@example.org", LINE_BREAK),
    ("evil@example.org\n", LINE_BREAK),
    ("nul\x00@example.org", NOT_AN_ADDRESS),
    ("no-at-sign", NOT_AN_ADDRESS),
    ("<anna@example.org>", NOT_AN_ADDRESS),
    ("anna@exa mple.org", NOT_AN_ADDRESS),
    ("anna@\u2488.de", NOT_AN_ADDRESS),  # IDNA cannot encode it
])
def test_unusable_addresses_are_refused_for_good(text, reason):
    with pytest.raises(UnusableAddress) as refused:
        envelope_address(text)
    assert str(refused.value).startswith(reason)
