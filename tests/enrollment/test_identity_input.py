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
