"""Error answers: a page for people, JSON under /api/, and never a traceback.

Any unexpected error becomes a 500 that says nothing was saved (the request's
transaction is rolled back) and gives a reference that is also in the log beside the
traceback. (A form whose CSRF token no longer matches is answered by
:mod:`clinic.web.csrf`.)
"""

from __future__ import annotations

import logging
import secrets

from flask import Flask, Response, current_app, g, jsonify, redirect, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException, InternalServerError, UnprocessableEntity

from clinic.exceptions import BrokenVersion, LockedError
from clinic.web.redaction import redact

log = logging.getLogger("clinic.errors")
API_PREFIX = "/api/"


PATIENT_PREFIX = "/r/"  # the patients' self-report pages (clinic.web.selfreport)


def init_app(app: Flask) -> None:
    app.register_error_handler(LockedError, _locked)
    app.register_error_handler(BrokenVersion, _broken_version)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)


def is_api() -> bool:
    """An address under /api/, or /api itself (it was answered with the HTML page)."""
    return request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/")


def is_public() -> bool:
    from clinic.auth.roles import PUBLIC, access_rule

    return request.endpoint is None or access_rule(request.endpoint) == PUBLIC


def json_error(status: int, message: str, errors: dict[str, str] | None = None) -> Response:
    response = jsonify({"message": message, "errors": errors or {}})
    response.status_code = status
    return response


API_WORDS = {  # the API's own words where werkzeug's speak to a browser
    401: "No valid API token: send Authorization: Bearer <token>. Tokens are made at "
         "/account/tokens; an expired or revoked one no longer works.",
    404: "No such address in the API (see /api/v1/openapi.json), or no such record.",
    405: "This address does not take that method: the Allow header lists those it takes.",
}


def _api_words(code: int, stock: str) -> str:
    if code == 413:
        limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return f"The request body is larger than the API takes ({limit} MB)."
    return API_WORDS.get(code, stock)


# the screens' words that speak of a page to a program (found trying the API as a new
# user would: "Find a patient with the search box above" in a JSON 404)
FOR_A_PROGRAM = ((" Find a patient with the search box above.", ""),
                 ("This page is for", "This address is for"),
                 ("cannot open it.", "cannot use it."))


def _for_a_program(text: str) -> str:
    for page_words, program_words in FOR_A_PROGRAM:
        text = text.replace(page_words, program_words)
    return text


def _http_error(error: HTTPException) -> Response | tuple[str, int, list[tuple[str, str]]]:
    code = error.code or 500
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if is_api():
        stock = error.description == type(error).description  # werkzeug's browser wording
        response = json_error(code, _api_words(code, error.description) if stock
                              else _for_a_program(error.description or error.name))
        response.headers.extend(headers)
        if code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="clinic"'
        return response
    if request.path.startswith(PATIENT_PREFIX) and code in (404, 405):
        from clinic.web.selfreport import link_not_found

        return link_not_found(), 404, headers
    if request.path.startswith(PATIENT_PREFIX) and code in (400, 413, 414, 422):
        from clinic.web.selfreport import request_refused

        return request_refused("request_refused"), code, headers
    if code == 405 and request.method == "GET" and (page := _page_of_form()) is not None:
        return redirect(page, code=303)
    return render_template("error.html", error=error), code, headers


def _page_of_form() -> str | None:
    """A form's address opened as a page (reloaded after its form was refused, a tab
    restored): the page it belongs to, one level up, where it answers GET (it was
    "405 Method Not Allowed", found trying the screens as a new user would)."""
    parent = request.path.rstrip("/").rsplit("/", 1)[0]
    if not parent:
        return None
    try:
        current_app.url_map.bind(request.host).match(parent, method="GET")
    except HTTPException:
        return None
    return parent


def _server_error(error: InternalServerError) -> Response | tuple[str, int]:
    reference = secrets.token_hex(6)
    original = error.original_exception or error
    log.error("unexpected error, reference %s, %s %s", reference, request.method,
              redact(request.path),
              exc_info=(type(original), original, original.__traceback__))
    _roll_back()
    message = (f"Something went wrong on our side. Nothing was saved. If it happens again, "
               f"give the reference {reference} to your administrator.")
    if is_api():
        return json_error(500, message)
    return render_template("error_500.html", message=message, reference=reference), 500


def _locked(error: LockedError) -> Response | tuple[str, int]:
    """A write to locked data, from any screen or API call: 423, nothing saved."""
    _roll_back()
    if is_api():
        return json_error(423, str(error))
    if request.path.startswith(PATIENT_PREFIX):  # not the staff's words, nor their names
        from clinic.web.selfreport import request_refused

        return request_refused("visit_locked"), 423
    return render_template("error.html", error=Locked(str(error)), kept=_keep_typed()), 423


def _broken_version(error: BrokenVersion) -> Response | tuple[str, int]:
    """A change without the version it was read at: 422, nothing saved (not a 409)."""
    _roll_back()
    if is_api():  # a program has no page to reload: it reads the record again
        message = str(error).replace(RELOAD_THE_PAGE, READ_IT_AGAIN).replace("a broken form",
                                                                    "a broken request")
        return json_error(422, message, {"version": "Required: the version you read."})
    return render_template("error.html", error=UnprocessableEntity(str(error)),
                           kept=_keep_typed()), 422


RELOAD_THE_PAGE = "Reload the page and enter the change again."
READ_IT_AGAIN = ("Read the record again (GET) and send the change with the version it "
                 "returns.")


def _keep_typed() -> str | None:
    """A refused form's fields, kept as a draft: the link that shows them again."""
    if request.method != "POST" or not request.form or not current_user.is_authenticated:
        return None
    from clinic.db import get_session
    from clinic.web.drafts import keep_draft

    try:
        return keep_draft(get_session(), user_id=current_user.id)
    except Exception:  # noqa: BLE001  (the refusal is what matters; log and go on)
        log.exception("keeping the refused form as a draft failed")
        _roll_back()
        return None


class Locked(HTTPException):
    code = 423
    name = "Locked: nothing was saved"


def _roll_back() -> None:
    session = g.get("db_session")
    if session is not None:
        try:
            session.rollback()
        except Exception:  # noqa: BLE001  (the connection itself may be gone)
            log.exception("rollback after an error failed")
