"""The secret in a self-report link (pure).

24 random bytes (192 bits) from the operating system's generator, URL-safe base64
(32 characters). Only the SHA-256 of the token is stored; the e-mail carries the
token itself. Anything that does not look like a token is refused before the
database is asked.
"""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_BYTES = 24
TOKEN_LENGTH = 32
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def looks_like_token(text: str) -> bool:
    return TOKEN_SHAPE.fullmatch(text) is not None
