"""The JSON API under /api/v1: bearer tokens, the same services, validation and audit."""

from __future__ import annotations

from flask import Flask, Request, g

from clinic.extensions import login_manager
from clinic.web.csrf import csrf

API_PREFIX = "/api/"


def init_app(app: Flask) -> None:
    from clinic.api.views import bp

    app.register_blueprint(bp)
    csrf.exempt(bp)
    login_manager.blueprint_login_views["api"] = None  # type: ignore[assignment]
    login_manager.request_loader(_user_from_bearer)


def _user_from_bearer(request: Request):  # type: ignore[no-untyped-def]
    """API requests only: ``Authorization: Bearer <token>`` → the token's user."""
    if not request.path.startswith(API_PREFIX):
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    from sqlmodel import Session

    from clinic.auth.tokens import user_for_token
    from clinic.db import get_engine

    with Session(get_engine(), expire_on_commit=False) as session:  # before the request's
        user = user_for_token(session, token.strip())
        session.commit()
    if user is not None:
        g.api_token_user_id = user.id
    return user
