"""The application factory proper: it reads like a table of contents."""

from __future__ import annotations

from typing import Any

from flask import Flask

from clinic import auth, cli, config, db, errors, web
from clinic.extensions import init_extensions


def build_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    config.load(app, test_config)
    db.init_app(app)
    init_extensions(app)
    auth.init_app(app)
    web.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    db.check_schema_on_start(app)
    return app
