"""Addresses built from a request: redirect targets (``next``) that must stay on this
site, and links that keep a request's parameters."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

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


def with_query(path: str, args: dict[str, Any]) -> str:
    """``path`` with ``args`` (a value or a list of values each) as its query string.

    Copying a request's parameters into ``url_for(endpoint, **args)`` lets the address
    choose url_for's own arguments (``endpoint``, ``_external``, ``_method``) or collide
    with the route's (a 500, or a link to another host); appended here, every name is
    only a parameter."""
    query = urlencode([(k, v) for k, values in args.items()
                       for v in (values if isinstance(values, list) else [values])])
    return f"{path}?{query}" if query else path
