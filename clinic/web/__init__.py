"""Server-rendered pages."""

from __future__ import annotations

from flask import Flask

from clinic.web.filters import register_filters
from clinic.web.redaction import init_app as init_redaction


def init_app(app: Flask, *, pages: bool = True) -> None:
    """Template filters and log redaction always (commands render e-mails and log too);
    the pages themselves and the API only with ``pages``."""
    register_filters(app)
    init_redaction(app)
    if pages:
        _register_pages(app)


def protect_forms(app: Flask) -> None:
    """CSRF tokens on every form (Flask-WTF, loaded only here)."""
    from clinic.web import csrf

    csrf.init_app(app)


def _register_pages(app: Flask) -> None:
    from clinic.reminders.views import bp as reminders_bp
    from clinic.reports.views import bp as reports_bp
    from clinic.web.home import bp as home_bp
    from clinic.web.screens import register_screens

    app.register_blueprint(home_bp)
    app.register_blueprint(reminders_bp)
    app.register_blueprint(reports_bp)
    register_screens(app)
