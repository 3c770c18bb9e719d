"""Authentication (Flask-Login over server-side sessions), accounts and the per-route
role rule."""

from __future__ import annotations

from flask import Flask

from clinic.auth.account import bp as account_bp
from clinic.auth.roles import enforce_access_rule
from clinic.auth.views import bp
from clinic.extensions import login_manager


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(account_bp)
    app.before_request(enforce_access_rule)
    login_manager.user_loader(_load_user)
    login_manager.login_message = "Log in to go on."


def _load_user(user_id: str):  # type: ignore[no-untyped-def]
    """The session cookie's user; never under /api/, which knows bearer tokens only (so
    a request with both a cookie and a token acts as the token's user)."""
    from flask import request

    from clinic.auth.current import load_session_user

    if request.path.startswith("/api/"):
        return None
    return load_session_user(user_id)
