"""Server-rendered pages."""

from __future__ import annotations

from flask import Flask

from clinic.web.filters import register_filters
from clinic.web.home import bp as home_bp


def init_app(app: Flask) -> None:
    app.register_blueprint(home_bp)
    register_filters(app)
