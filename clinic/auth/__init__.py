"""Authentication (Flask-Login) and the per-route role rule."""

from __future__ import annotations

from flask import Flask

from clinic.auth.roles import enforce_access_rule
from clinic.auth.views import bp
from clinic.extensions import login_manager


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(enforce_access_rule)
    login_manager.user_loader(_load_user)


def _load_user(user_id: str):  # type: ignore[no-untyped-def]
    from clinic.db import get_session
    from clinic.models import User

    user = get_session().get(User, int(user_id))
    return user if user is not None and user.is_active else None
