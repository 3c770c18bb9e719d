"""Request-wide guards that no view can forget.

Integers in URLs fit an INTEGER column (a larger id is simply not found, never a
database overflow), and a posted form names each field once: a repeated field is
refused before any view reads it ("one value per field").
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


def init_app(app: Flask) -> None:
    app.before_request(refuse_repeated_fields)
