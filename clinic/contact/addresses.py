"""E-mail addresses: checked at entry, made ready for the SMTP envelope at send time.

Two gates, on purpose of different strictness:

* :func:`normalize_email` (entry) uses the ``email-validator`` library: syntax only
  (no DNS look-up), Unicode allowed (SMTPUTF8 addresses), CR/LF and anything that is
  not a bare address refused. What it returns is what is stored.
* :func:`envelope_address` (send time) only refuses what can never be sent safely:
  control characters (a CR/LF would inject mail headers), no ``@``, characters that
  break the SMTP command, a domain that cannot be encoded with IDNA. Addresses stored
  before validation existed, or written to the database by other means, reach it; the
  mail server decides about the rest (an internal ``.local`` domain may be deliverable).

Both raise with a plain reason a member of staff can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import idna
from email_validator import EmailNotValidError, ValidatedEmail, validate_email

from clinic.exceptions import ClinicError, ValidationError

# The start of each reason, so the staff page can say what to do about it.
LINE_BREAK = "line break (CR/LF) in the address, refused so that no mail header is injected"
NOT_AN_ADDRESS = "not a usable e-mail address"

# RFC 2606 reserves ".invalid" for names that must never resolve: the demo data and the
# tests use it so that nothing can ever be delivered. email-validator refuses special-use
# names even without its deliverability check; ".invalid" is checked as if it were the
# (equally reserved) ".test", which email-validator accepts in a test environment.
_NEVER_DELIVERED, _STAND_IN = ".invalid", ".test"
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-\u0080-\U0010ffff]+")
_ASCII_DOMAIN = re.compile(r"[A-Za-z0-9.\-]+|\[[A-Za-z0-9.:]+\]")


class UnusableAddress(ClinicError):
    """The address can never be sent to as it is: retrying cannot help."""


@dataclass(frozen=True)
class EnvelopeAddress:
    """An address ready for ``RCPT TO`` and the ``To:`` header."""

    mailbox: str  # for the envelope: the domain in IDNA (punycode) form
    header: str  # for the To: header (Unicode only when SMTPUTF8 is needed)
    smtputf8: bool  # the local part is not ASCII: the server must offer SMTPUTF8


def has_control_character(text: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)


def normalize_email(text: str) -> str:
    """The address as it should be stored, or ValidationError({"email": reason})."""
    if has_control_character(text):
        raise ValidationError({"email": "An e-mail address cannot contain a line break "
                                        "or other control characters."})
    try:
        checked = _validated(text.strip())
    except EmailNotValidError as error:
        raise ValidationError({"email": f"Enter a valid e-mail address: {error}"}) from error
    return checked.normalized


def _validated(address: str) -> ValidatedEmail:
    """email-validator's verdict, with ``.invalid`` domains accepted (see above)."""
    local, at, domain = address.rpartition("@")
    reserved = at and domain.lower().endswith(_NEVER_DELIVERED)
    if reserved:
        address = f"{local}@{domain[:-len(_NEVER_DELIVERED)]}{_STAND_IN}"
    checked = validate_email(address, check_deliverability=False, allow_smtputf8=True,
                             test_environment=True)
    if reserved:
        checked.normalized = checked.normalized[:-len(_STAND_IN)] + _NEVER_DELIVERED
    return checked


def envelope_address(text: str) -> EnvelopeAddress:
    """Make ``text`` ready for SMTP, or raise UnusableAddress with the reason."""
    if "\r" in text or "\n" in text:
        raise UnusableAddress(LINE_BREAK)
    if has_control_character(text):
        raise UnusableAddress(f"{NOT_AN_ADDRESS}: it contains control characters")
    local, at, domain = text.strip().rpartition("@")
    if not (at and local and domain):
        raise UnusableAddress(f"{NOT_AN_ADDRESS}: no mailbox@domain")
    if not _LOCAL_PART.fullmatch(local):
        raise UnusableAddress(f"{NOT_AN_ADDRESS}: unexpected characters before the @")
    ascii_domain = _ascii_domain(domain)
    smtputf8 = not local.isascii()
    return EnvelopeAddress(mailbox=f"{local}@{ascii_domain}",
                           header=f"{local}@{domain}" if smtputf8 else f"{local}@{ascii_domain}",
                           smtputf8=smtputf8)


def _ascii_domain(domain: str) -> str:
    """The domain as the envelope carries it: IDNA (punycode) for a Unicode name."""
    if not domain.isascii():
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError) as error:
            raise UnusableAddress(f"{NOT_AN_ADDRESS}: the domain cannot be encoded "
                                  f"(IDNA): {error}") from error
    if not _ASCII_DOMAIN.fullmatch(domain):
        raise UnusableAddress(f"{NOT_AN_ADDRESS}: unexpected characters after the @")
    return domain
