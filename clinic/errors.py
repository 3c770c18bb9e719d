"""Error pages."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)


def _http_error(error: HTTPException) -> tuple[str, int]:
    return render_template("error.html", error=error), error.code or 500
