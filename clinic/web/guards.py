"""Request-wide guards that no view can forget.

Integers in URLs fit an INTEGER column (a larger id is simply not found, never a
database overflow), a posted form names each field once: a repeated field is
refused before any view reads it ("one value per field"), and no value holds NUL.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

from clinic.catalog import INT_MAX

API_PREFIX = "/api/"


class BoundedInt(IntegerConverter):
    """``<int:...>`` with 0 .. 2^31-1: ids beyond an INTEGER column are a 404."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT_MAX)
        super().__init__(url_map, *args, **kwargs)


def install_converters(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedInt


def refuse_repeated_fields() -> None:
    if request.method != "POST" or request.path.startswith(API_PREFIX):
        return
    repeated = [k for k, values in request.form.lists() if len(values) > 1]
    if repeated:
        abort(422, f"The form sent the field '{repeated[0][:60]}' more than once; nothing was "
                   "saved. Reload the page and try again.")


def refuse_nul_characters() -> None:
    """NUL cannot be stored (PostgreSQL refuses it in text) and is never typed."""
    values = [*request.args.items(multi=True)]
    if request.method == "POST" and not request.path.startswith(API_PREFIX):
        values += list(request.form.items(multi=True))
    if any("\x00" in key or "\x00" in value for key, value in values):
        abort(422, "The request holds an invisible NUL character; nothing was saved.")


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
    app.before_request(refuse_repeated_fields)
