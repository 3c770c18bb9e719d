"""Server-rendered pages."""

from __future__ import annotations

from flask import Flask

from clinic.reminders.views import bp as reminders_bp
from clinic.reports.views import bp as reports_bp
from clinic.web.filters import register_filters
from clinic.web.home import bp as home_bp
from clinic.web.redaction import init_app as init_redaction
from clinic.web.screens import register_screens


def init_app(app: Flask) -> None:
    app.register_blueprint(home_bp)
    app.register_blueprint(reminders_bp)
    app.register_blueprint(reports_bp)
    register_screens(app)
    register_filters(app)
    init_redaction(app)
