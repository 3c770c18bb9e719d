"""The password rule (pure): long enough, not a known common password, not the
account's own e-mail or name.

Following NIST SP 800-63B §5.1.1.2: a minimum length, a check against a list of
passwords known from breaches, and no composition rules (no "one digit, one symbol").
The bundled list, ``common-passwords.txt.gz``, holds the 20,000 most common passwords
from breach corpora (lower-cased and de-duplicated), compiled by Royce Williams
(gist.github.com/roycewilliams/226886fd01572964e1431ac8afc999ce) and distributed with
Django (BSD-3-Clause) as django/contrib/auth/common-passwords.txt.gz.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from werkzeug.security import generate_password_hash

MIN_LENGTH = 10
MAX_LENGTH = 200  # hashing a megabyte-long "password" would tie up a worker
COMMON_LIST = Path(__file__).with_name("common-passwords.txt.gz")
# werkzeug's method for new password hashes: scrypt (N=2^15, r=8, p=1), about 0.1 s a
# hash. The test suite lowers the cost for its own made-up staff (tests/conftest.py),
# where hashing seven accounts per test took most of a test's set-up; a test checks
# that the app itself hashes with scrypt.
HASH_METHOD = "scrypt"


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_LIST, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why ``password`` is refused, or None when it may be used."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters (a few words make a good password)."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    folded = password.strip().lower()
    if folded in common_passwords() or _trivial(folded):
        return "This password is too common: it is on a list of passwords known from breaches."
    if _personal(folded, email, name):
        return "Do not use your name or e-mail address as the password."
    return None


def _trivial(folded: str) -> bool:
    """One character repeated, or a common password padded with its own repetition."""
    if len(set(folded)) <= 2:
        return True
    for size in range(1, len(folded) // 2 + 1):
        unit = folded[:size]
        if len(folded) % size == 0 and unit * (len(folded) // size) == folded:
            return True
    return False


def _personal(folded: str, email: str, name: str) -> bool:
    """The password is the e-mail (or holds its local part), or is the name."""
    local = email.partition("@")[0].lower()
    squeezed = "".join(folded.split())
    return (len(local) >= 5 and local in folded) or folded == email.lower() or (
        bool(name.strip()) and squeezed == "".join(name.lower().split()))
