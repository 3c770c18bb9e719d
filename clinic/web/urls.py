"""Redirect targets taken from a request (``next``) must stay on this site."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

MAX_NEXT = 2000


def same_site_path(target: str | None) -> str | None:
    """``target`` reduced to a path and query on this site, or None.

    Refused: absolute and scheme-relative URLs (``//evil.example``), backslashes (some
    browsers read ``/\\evil.example`` as another host), and control characters, which
    browsers drop (``/%09/evil.example`` becomes ``//evil.example``) and which must never
    reach a header.
    """
    if not target or len(target) > MAX_NEXT or not target.startswith("/"):
        return None
    if any(ord(c) < 32 or ord(c) == 127 or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith("//"):
        return None
    return urlunsplit(("", "", parts.path, parts.query, ""))
