"""Configuration layers: defaults <- instance/config.py <- CLINIC_* environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None: a SQLite file in the instance folder
    "DB_POOL_SIZE": 5,  # PostgreSQL connections kept per process (README "Deploying")
    "DB_MAX_OVERFLOW": 5,  # more under load, closed again afterwards
    "DB_PING_AFTER_IDLE_SECONDS": 1.0,  # a pooled connection idle this long is tested first
    "TIMEZONE": "UTC",
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": 25,
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "SMTP_TLS": False,
    "SMTP_CA_FILE": None,
    "SMTP_TIMEOUT": 10,  # seconds: connecting, and waiting for each reply of the server
    "MAIL_FROM": "clinic@localhost",
    "REMINDER_HOUR": 7,  # local hour of the daily reminder run
    "REMINDER_MAX_ATTEMPTS": 5,  # then the row is 'failed' and shown to staff
    # REMINDER_DAYS_BEFORE, REMINDER_RETRY_MINUTES, REMINDER_CLAIM_LEASE_MINUTES and
    # REMINDER_POLL_MINUTES default in clinic/reminders/settings.py
    # patients' own follow-ups (see clinic/selfreport/)
    "PUBLIC_URL": "http://127.0.0.1:5000",  # where patients reach the app: links in e-mails
    "CLINIC_CONTACT": None,  # e.g. "+44 20 7946 0000"; None: the pages' own wording
    "SELF_REPORT_MAX_CHECKS": 5,  # wrong dates of birth before the link locks
    "SELF_REPORT_LOCK_MINUTES": 15,
    "CHECK_SCHEMA": True,
    # study reports (see clinic/reports/jobs.py): studies with more patients are built in
    # the background, with a progress page, instead of inside the request
    "REPORT_INLINE_MAX_PATIENTS": 5_000,
    "REPORT_JOBS_DIR": None,  # None: report_jobs in the instance folder
    "WTF_CSRF_TIME_LIMIT": None,
    # sessions and accounts (see clinic/auth/)
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": True,  # the cookie travels over HTTPS only (production)
    "SESSION_IDLE_MINUTES": 30,  # a session unused this long ends (the typed form is kept)
    "SESSION_MAX_HOURS": 12,  # and any session ends after this long
    "LOGIN_MAX_FAILURES": 5,  # wrong passwords in a row before the account locks
    "LOGIN_LOCK_MINUTES": 15,  # first lock; doubles with each further lock (max. a day)
    "LOGIN_ADDRESS_MAX_FAILURES": 20,  # failures from one address within the window
    "LOGIN_ADDRESS_WINDOW_MINUTES": 15,
    "REQUIRE_TOTP_FOR_ADMINS": False,  # administrators must set up a second factor
    "API_TOKEN_DAYS": 90,  # default lifetime of a new API token
    "API_TOKEN_MAX_DAYS": 365,
    "PASSWORD_RESET_HOURS": 24,  # a one-time reset link works this long
    "PROXY_FIX": 0,  # reverse proxies in front of the app (client address, HTTPS)
    "HSTS_SECONDS": 31_536_000,  # Strict-Transport-Security, sent on HTTPS requests only
    # request limits: no single request may tie up a worker
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 200_000,
    "MAX_FORM_PARTS": 1_000,
    # the longest address (path and query) the app answers; gunicorn.conf.py lets longer
    # request lines through to the app (up to 8,190 bytes) so that it says so itself: 414
    "MAX_URL_LENGTH": 4_096,
}

def _flag(value: str) -> bool:
    return value.lower() in {"1", "true", "yes", "on"}


# environment variable -> (config key, converter)
ENVIRONMENT: dict[str, tuple[str, Any]] = {
    "CLINIC_DATABASE_URL": ("DATABASE_URL", str),
    "CLINIC_DB_POOL_SIZE": ("DB_POOL_SIZE", int),
    "CLINIC_DB_MAX_OVERFLOW": ("DB_MAX_OVERFLOW", int),
    "CLINIC_DB_PING_AFTER_IDLE_SECONDS": ("DB_PING_AFTER_IDLE_SECONDS", float),
    "CLINIC_SECRET_KEY": ("SECRET_KEY", str),
    "CLINIC_TIMEZONE": ("TIMEZONE", str),
    "CLINIC_SMTP_HOST": ("SMTP_HOST", str),
    "CLINIC_SMTP_PORT": ("SMTP_PORT", int),
    "CLINIC_SMTP_USER": ("SMTP_USER", str),
    "CLINIC_SMTP_PASSWORD": ("SMTP_PASSWORD", str),
    "CLINIC_SMTP_TLS": ("SMTP_TLS", _flag),
    "CLINIC_SMTP_CA_FILE": ("SMTP_CA_FILE", str),
    "CLINIC_SMTP_TIMEOUT": ("SMTP_TIMEOUT", float),
    "CLINIC_MAIL_FROM": ("MAIL_FROM", str),
    "CLINIC_REMINDER_HOUR": ("REMINDER_HOUR", int),
    "CLINIC_REMINDER_MAX_ATTEMPTS": ("REMINDER_MAX_ATTEMPTS", int),
    "CLINIC_REMINDER_DAYS_BEFORE": ("REMINDER_DAYS_BEFORE", int),
    "CLINIC_REMINDER_RETRY_MINUTES": ("REMINDER_RETRY_MINUTES", float),
    "CLINIC_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _flag),
    "CLINIC_SESSION_IDLE_MINUTES": ("SESSION_IDLE_MINUTES", float),
    "CLINIC_REQUIRE_TOTP_FOR_ADMINS": ("REQUIRE_TOTP_FOR_ADMINS", _flag),
    "CLINIC_PROXY_FIX": ("PROXY_FIX", int),
    "CLINIC_PUBLIC_URL": ("PUBLIC_URL", str),
    "CLINIC_CONTACT": ("CLINIC_CONTACT", str),
    "CLINIC_REPORT_INLINE_MAX_PATIENTS": ("REPORT_INLINE_MAX_PATIENTS", int),
    "CLINIC_REPORT_JOBS_DIR": ("REPORT_JOBS_DIR", str),
}

SECRET_KEY_FILE = "secret_key"


def load(app: Flask, test_config: dict[str, Any] | None = None) -> None:
    """Apply the layers in order; a test config replaces file and environment."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(from_environment(os.environ))
    else:
        app.config.update(test_config)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = default_database_url(app.instance_path)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))


def from_environment(environ: dict[str, str] | os._Environ[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, (key, convert) in ENVIRONMENT.items():
        if environ.get(name):
            values[key] = convert(environ[name])
    return values


def default_database_url(instance_path: str) -> str:
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_path) / 'clinic.db'}"


def instance_secret_key(instance: Path) -> str:
    """Read the key generated on first run, or generate it (never committed)."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / SECRET_KEY_FILE
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
