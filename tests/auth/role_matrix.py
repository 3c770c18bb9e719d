"""The expected access rule of every route: endpoint -> "public", "any_user" or roles.

A new route must be added here (and carry a rule in the code) or the suite fails.
"""

from __future__ import annotations

ALL = frozenset({"nurse", "physician", "coordinator", "admin"})
STAFF = frozenset({"nurse", "coordinator", "admin"})
REVIEW = frozenset({"physician", "coordinator", "admin"})
ADMIN = frozenset({"admin"})

EXPECTED: dict[str, str | frozenset[str]] = {
    "static": "public",
    "auth.login": "public",
    "auth.logout": "any_user",
    "web.home": "any_user",
}
