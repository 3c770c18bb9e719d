"""The identity entered at enrollment (or changed later): the e-mail address check."""

from __future__ import annotations

import pytest

from clinic.enrollment.inputs import IdentityInput, validate_identity
from clinic.exceptions import ValidationError


@pytest.mark.parametrize("email", [None, "", "anna@example.org", "jürgen@müller.de",
                                   "patient1@example.invalid"])
def test_acceptable_addresses(email):
    validate_identity(IdentityInput(name="Anna", email=email))


@pytest.mark.parametrize(("email", "says"), [
    ("anna@example.org\r\nBcc: all@example.org", "line break"),
    ("not-an-address", "Enter a valid e-mail address"),
    ("Anna <anna@example.org>", "Enter a valid e-mail address"),
    ("   ", "Enter a valid e-mail address"),
])
def test_unusable_addresses_are_refused_on_the_email_field(email, says):
    with pytest.raises(ValidationError) as refused:
        validate_identity(IdentityInput(name="Anna", email=email))
    assert says in refused.value.errors["email"]


def test_other_fields_are_still_checked_alongside():
    with pytest.raises(ValidationError) as refused:
        validate_identity(IdentityInput(name=" ", email="x", reminder_consent=True))
    assert set(refused.value.errors) == {"name", "email"}


@pytest.mark.parametrize("phone", ["+49 (0)30 555-0142", "030/123456", "+00 1", "0171.555.01",
                                   " 112 "])
def test_phone_numbers_as_clinics_write_them(phone):
    validate_identity(IdentityInput(name="Anna", phone=phone))


@pytest.mark.parametrize("phone", ["call me", "Ώ", '=cmd|"/c calc"!A1', "<img src=x>", "12",
                                   "+49 30 555 0142 (mornings)"])
def test_a_phone_number_is_digits_with_separators(phone):
    """Found testing as a new user would: 'call me' was stored and printed on the call
    list as the number to dial."""
    with pytest.raises(ValidationError) as refused:
        validate_identity(IdentityInput(name="Anna", phone=phone))
    assert "A phone number holds digits" in refused.value.errors["phone"]


@pytest.mark.parametrize(("mrn", "ok"), [("HOSP-77812", True), (" mrn-77 ", True),
                                         ("A12/2024.7", True), ("call me", True),
                                         ("Ώ", False), ("=cmd", False), ("<x>", False),
                                         ("-", False)])
def test_an_mrn_is_letters_and_digits_with_separators(mrn, ok):
    if ok:
        validate_identity(IdentityInput(name="Anna", mrn=mrn))
        return
    with pytest.raises(ValidationError) as refused:
        validate_identity(IdentityInput(name="Anna", mrn=mrn))
    assert "An MRN holds letters" in refused.value.errors["mrn"]
