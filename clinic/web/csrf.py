"""Forms carry a CSRF token (Flask-WTF), installed only where pages are served.

A form whose token no longer matches (an old tab, a restarted browser) is kept as a
draft and shown again, instead of a bare 400. Commands (``flask --app clinic report``)
serve no form, so they never load Flask-WTF (about 0.06 s of every start).
"""

from __future__ import annotations

from flask import Flask, Response, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import CSRFProtect
from flask_wtf.csrf import CSRFError

from clinic.errors import is_api, is_public

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.register_error_handler(CSRFError, _csrf_error)


def _csrf_error(error: CSRFError) -> Response | tuple[str, int]:
    if request.endpoint == "auth.login":
        return render_template("auth/login.html", values={}, errors={
            "form": "The log-in page had expired (or cookies are blocked): log in again."}), 400
    if is_api() or request.method != "POST" or not request.form or is_public():
        return render_template("error.html", error=error), 400
    from clinic.db import get_session
    from clinic.web.drafts import keep_draft

    user_id = current_user.id if current_user.is_authenticated else g.get("expired_user_id")
    back = keep_draft(get_session(), user_id=user_id)
    if back is None:
        return render_template("error.html", error=error), 400
    if current_user.is_authenticated:
        flash("This form had expired, so it was not saved. Below is what you typed: check "
              "it and save again.", "error")
        return redirect(back)
    flash("Your session had ended. Log in again: what you typed is kept.", "info")
    return redirect(url_for("auth.login", next=back))

