"""Unbound extensions, created once and bound in the factory (the forms' CSRF
protection is in :mod:`clinic.web.csrf`: only pages need it)."""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager

login_manager = LoginManager()


def init_extensions(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
