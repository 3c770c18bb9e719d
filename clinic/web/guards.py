"""Request-wide guards that no view can forget.

Integers in URLs fit an INTEGER column (a larger id is simply not found, never a
database overflow), a posted form names each field once: a repeated field is
refused before any view reads it ("one value per field"), and no value holds NUL.

Cross-site writes are refused before anything else looks at them (the browser says
``Sec-Fetch-Site: cross-site``), and a write that arrived without a session cookie
never gets one back: a page on another site that posts a form here can neither log
the user out (by replacing the cookie) nor leave anything behind.

An address longer than MAX_URL_LENGTH is refused (414) before anything else, in the
app's own words (gunicorn.conf.py lets such a request line reach the app).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, current_app, flash, redirect, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from werkzeug.routing import IntegerConverter

from clinic.audit.words import field_label
from clinic.catalog import HIDDEN_CHARACTERS, INT_MAX

API_PREFIX = "/api/"
class BoundedInt(IntegerConverter):
    """``<int:...>`` with 0 .. 2^31-1: ids beyond an INTEGER column are a 404."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT_MAX)
        super().__init__(url_map, *args, **kwargs)


def install_converters(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedInt
    app.url_map.strict_slashes = False  # "/patients/" is the patients list, not a 404


def refuse_repeated_fields() -> None:
    if request.method != "POST" or request.path.startswith(API_PREFIX):
        return
    repeated = [k for k, values in request.form.lists() if len(values) > 1]
    if repeated:
        abort(422, f"The form sent the field '{repeated[0][:60]}' more than once; nothing was "
                   "saved. Reload the page and try again.")


def refuse_broken_version() -> None:
    """A form that edits a record carries the version it was read at (clinic.edits); an
    empty or non-numeric one is a broken form, not someone else's save."""
    if request.method != "POST" or request.path.startswith(API_PREFIX):
        return
    version = request.form.get("version")
    if version is not None and not (version.isascii() and version.isdigit()
                                    and len(version) < 10):
        abort(422, "The form's record version is empty or not a whole number, so it "
                   "cannot say which state of the record it changes; nothing was saved. "
                   "Reload the page and enter the change again.")


def refuse_control_characters() -> Response | None:
    """No typed value holds NUL (PostgreSQL refuses it in text), another control
    character (tab and line breaks excepted) or a bidirectional override, which can make
    a text read differently from what is stored."""
    values = [*request.args.items(multi=True)]
    if request.method == "POST" and not request.path.startswith(API_PREFIX):
        values += list(request.form.items(multi=True))
    outcome = "nothing was saved" if request.method not in SAFE_METHODS else \
        "nothing was searched or shown"
    if (request.method == "GET" and request.url_rule is not None  # a page of this app
            and not request.path.startswith(API_PREFIX) and any(
                "\x00" in k + v or HIDDEN_CHARACTERS.search(k + v) for k, v in values)):
        return _search_without_hidden_characters(values)
    for key, value in values:
        if "\x00" in key or "\x00" in value:
            abort(422, f"The request holds an invisible NUL character; {outcome}.")
        if HIDDEN_CHARACTERS.search(key) or HIDDEN_CHARACTERS.search(value):
            name = _form_field_words(HIDDEN_CHARACTERS.sub("", key)[:60])
            said = (f"The field '{name}' held an invisible control or text-direction "
                    f"character; {outcome}.")
            kept = _keep_without_hidden_characters()
            if kept is None:
                abort(422, f"{said} Type the value again without pasting it.")
            flash(f"{said} Below is what you typed, without the invisible characters: "
                  "check it and save again.", "error")
            return redirect(kept, code=303)
    return None


# form fields named in words where the stored field's name says little
FORM_FIELDS = {"not_done_reason": "reason the follow-up was not done", "text": "question or answer",
               "q": "search", "reason": "reason for the change",
               "missing_reason": "reason an outcome was not collected"}
_ROWS = {"med": "medication", "target": "target", "injectate": "injectate"}


def _form_field_words(key: str) -> str:
    """'med.0.drug' -> 'drug of the 1st medication'; 'ae.notes' -> 'notes'."""
    from clinic.protocol.document import ordinal

    parts = key.split(".")
    if len(parts) == 3 and parts[1].isdigit() and parts[0] in _ROWS:
        return (f"{field_label(parts[2])} of the {ordinal(int(parts[1]) + 1)} "
                f"{_ROWS[parts[0]]}")
    last = parts[-1]
    return FORM_FIELDS.get(last) or field_label(last)


def _search_without_hidden_characters(values: list[tuple[str, str]]) -> Response:
    """A search or filter holding an invisible character (a code copied from an e-mail
    or a spreadsheet): the same page without it, and a note saying so (it was a bare
    error page)."""
    from urllib.parse import urlencode

    def clean(text: str) -> str:
        return HIDDEN_CHARACTERS.sub("", text.replace("\x00", ""))

    flash("The search held an invisible character (copied with the text?); it was "
          "removed.", "info")
    query = urlencode([(clean(k), clean(v)) for k, v in values])
    return redirect(f"{request.path}?{query}" if query else request.path, code=303)


def _keep_without_hidden_characters() -> str | None:
    """A logged-in user's refused form, kept as a draft with the invisible characters
    taken out: the page shows it again instead of losing everything typed."""
    if request.method != "POST" or not request.form or request.path.startswith(API_PREFIX):
        return None
    from flask_login import current_user

    if not current_user.is_authenticated:
        return None
    from clinic.db import get_session
    from clinic.web.drafts import keep_draft

    return keep_draft(get_session(), user_id=current_user.id,
                      clean=lambda value: HIDDEN_CHARACTERS.sub("", value),
                      page=_form_page())


def _form_page() -> str | None:
    """The page a form answering only POST was sent from (its Referer, on this site and a
    page answering GET), where its draft is shown again; None to keep it under the
    form's own address."""
    from urllib.parse import urlsplit

    rule = request.url_rule
    if rule is None or "GET" in (rule.methods or ()):
        return None
    referer = urlsplit(request.referrer or "")
    if (referer.netloc != request.host or not referer.path.startswith("/")
            or referer.path.startswith("//")):
        return None
    adapter = request.url_rule.map.bind(request.host)  # type: ignore[union-attr]
    try:
        adapter.match(referer.path, method="GET")
    except Exception:  # noqa: BLE001  (no page there: nothing to show the draft on)
        return None
    return referer.path


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_STARTS = frozenset({"auth.login", "auth.verify", "account.reset"})


class NoCookieForStrangers(SecureCookieSessionInterface):
    """The signed-cookie session, but a write request that came without the session
    cookie is never answered with one (except the log-in itself, where a session
    begins; its CSRF token and the cross-site refusal keep other sites out of it)."""

    def save_session(self, app: Flask, session: SessionMixin, response: Any) -> None:
        if request.method not in SAFE_METHODS and request.endpoint not in SESSION_STARTS \
                and app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return  # neither set nor deleted: the browser's own cookie stays as it was
        super().save_session(app, session, response)


def refuse_cross_site_writes() -> None:
    """A form posted from another site's page: refused, nothing read or kept."""
    if request.method in SAFE_METHODS or request.path.startswith(API_PREFIX):
        return
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        abort(403, "This form was sent from another web site, so it was refused and nothing "
                   "was saved. Open the page here and fill it in again.")


def refuse_long_urls() -> None:
    """An address longer than MAX_URL_LENGTH: 414, in the app's own words (JSON under
    /api/, an OperationOutcome under the FHIR base, the error page elsewhere) before the
    log-in or the token is asked for, and before an unknown address is a 404."""
    limit = int(current_app.config["MAX_URL_LENGTH"])
    length = url_length(request.environ)
    if length > limit:
        abort(414, f"The address is {length:,} characters long, longer than the {limit:,} "
                   "this server takes: shorten its query (the part after '?').")


def url_length(environ: dict[str, Any]) -> int:
    """The length of the address as the client sent it (RAW_URI: gunicorn, werkzeug;
    REQUEST_URI: other servers), else of its path (decoded) and query."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return len(raw)
    query = environ.get("QUERY_STRING", "")
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return len(path) + (len(query) + 1 if query else 0)


def init_first(app: Flask) -> None:
    """Before the extensions' own checks (CSRF): who sent the request comes first, and
    an address too long to read before that."""
    app.session_interface = NoCookieForStrangers()
    app.before_request(refuse_long_urls)
    app.before_request(refuse_cross_site_writes)


def init_app(app: Flask) -> None:
    app.before_request(refuse_control_characters)
    app.before_request(refuse_repeated_fields)
    app.before_request(refuse_broken_version)
