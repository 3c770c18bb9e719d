"""The application factory proper: it reads like a table of contents."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from clinic import auth, cli, config, db, errors, web
from clinic.extensions import init_extensions
from clinic.json_provider import StrictJSONProvider
from clinic.web import guards, headers


class ClinicFlask(Flask):
    """Flask, but OPTIONS answers 204 No Content with the Allow header: Flask's own
    answer was a 200 with an empty body labelled text/html (on the API and the FHIR
    addresses as on the pages), which a program reads as a page with nothing in it."""

    def make_default_options_response(self) -> Response:
        response = super().make_default_options_response()
        response.status_code = 204
        del response.headers["Content-Type"]
        return response


def build_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = ClinicFlask(__name__, instance_relative_config=True)
    app.json = StrictJSONProvider(app)
    config.load(app, test_config)
    _behind_proxies(app)
    guards.install_converters(app)
    guards.init_first(app)
    db.init_app(app)
    init_extensions(app)
    pages = not cli.runs_without_pages()
    if pages:
        web.protect_forms(app)  # before the access rule: a forged post is a 400, not a login
        auth.init_app(app)
    web.init_app(app, pages=pages)
    headers.init_app(app)
    guards.init_app(app)
    if pages:  # an app built for a command answers any request with a bare 404
        errors.init_app(app)
    cli.init_app(app)
    db.check_schema_on_start(app)
    return app


def _behind_proxies(app: Flask) -> None:
    """Trust X-Forwarded-For/-Proto from PROXY_FIX reverse proxies (0: none)."""
    hops = int(app.config["PROXY_FIX"])
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
