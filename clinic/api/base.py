"""The API blueprint, JSON errors, body parsing and the one commit per request."""

from __future__ import annotations

import re
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, jsonify, request
from pydantic import BaseModel
from pydantic import ValidationError as SchemaError
from werkzeug.wrappers import Response

from clinic.db import get_session
from clinic.errors import json_error
from clinic.exceptions import ConflictError, LockedError, NotFound, ValidationError
from clinic.json_provider import NotJSON
from clinic.schema_words import schema_message
from clinic.studies.setup import find_study
from clinic.web.access import own_site_id, printable, site_named, unknown_study

bp = Blueprint("api", __name__, url_prefix="/api/v1")
M = TypeVar("M", bound=BaseModel)
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})
# pydantic names the member of a union that failed ("int", "literal['a','b']"): not a field
_UNION_TAGS = frozenset({"int", "float", "str", "bool", "list", "dict", "none",
                         "constrained-int", "constrained-float", "constrained-str",
                         "function-after", "function-before", "function-plain"})


def error(status: int, message: str, errors: dict[str, str] | None = None) -> Response:
    return json_error(status, message, errors)


@bp.errorhandler(ValidationError)
def _invalid(exc: ValidationError) -> Response:
    from flask import request

    message = ("The request was refused; nothing was stored." if request.method != "GET"
               else "The request was refused.")
    return error(422, message, exc.errors)


@bp.errorhandler(LockedError)
def _locked(exc: LockedError) -> Response:
    return error(423, str(exc))


@bp.errorhandler(ConflictError)
def _conflict(exc: ConflictError) -> Response:
    return error(409, f"{exc} Read the record again and re-apply your change.")


@bp.before_request
def _require_bearer_token() -> Response | None:
    """A browser session cookie is not accepted here: the API is CSRF-exempt."""
    if request.endpoint in PUBLIC_ENDPOINTS or g.get("api_token_user_id") is not None:
        return None
    response = error(401, "Send an API token: Authorization: Bearer <token>.")
    response.headers["WWW-Authenticate"] = 'Bearer realm="clinic"'
    return response


@bp.before_request
def _refuse_unknown_query_parameters() -> None:
    """A misspelt filter (``?stauts=open``) is refused, not ignored: ignored, it would
    answer with every row as if it had filtered. So is a parameter given twice (which
    one would count?), one given empty (``identity=`` read as false, ``patient=`` as no
    filter) and a value outside the document's list (``identity=yes`` read as false).
    The names and lists are those the OpenAPI document declares; OPTIONS only answers
    which methods the address takes."""
    from clinic.api.openapi import query_parameters

    if request.url_rule is None or not request.args or request.method == "OPTIONS":
        return
    declared = query_parameters(request.method, _openapi_path(request.url_rule.rule))
    takes = (f"this address takes {', '.join(sorted(declared))}" if declared
             else "this address takes none")
    errors: dict[str, str] = {}
    for name in sorted(set(request.args))[:20]:
        values = request.args.getlist(name)
        if name not in declared:
            errors[name[:40]] = f"Unknown query parameter: {takes}."
        elif len(values) > 1:
            errors[name] = f"Give {name} once (it was given {len(values)} times)."
        elif not values[0]:
            errors[name] = f"Give {name} a value, or leave it out."
        elif values[0] not in declared[name].get("enum", values):
            *others, last = declared[name]["enum"]
            errors[name] = f"Choose {', '.join(others)} or {last}."
    if errors:
        raise ValidationError(errors)


def _openapi_path(rule: str) -> str:
    """``/api/v1/patients/<int:patient_id>`` as OpenAPI writes it: ``/patients/{patient_id}``."""
    path = rule.removeprefix(bp.url_prefix or "")
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", path)


def body(model: type[M]) -> M:
    """The JSON body parsed with ``model``; 422 with field errors otherwise."""
    data = json_object()
    try:
        return model.model_validate(data)
    except SchemaError as exc:
        errors: dict[str, str] = {}
        ranked = sorted(exc.errors(), key=lambda e: e["type"] not in _RANGES)  # a number's
        for e in ranked:  # range before a union's other branch (satisfaction 0: "1 to 4")
            said = e["msg"] if e["type"] == "string_pattern_mismatch" else schema_message(e)
            errors.setdefault(_loc(e["loc"]), said)
        raise ValidationError(errors) from exc


_RANGES = frozenset({"greater_than_equal", "less_than_equal"})


def json_object() -> dict[str, Any]:
    """The JSON body, an object; 422 saying why otherwise."""
    data, problem = _json_body()
    if isinstance(problem, NotJSON) and problem.field:  # one field's text: named by it
        raise ValidationError({problem.field: f"Nothing was saved: {problem}; type it "
                                              "again rather than paste it."})
    if not isinstance(data, dict):
        raise ValidationError({"body": "Send a JSON object (Content-Type: application/json) "
                                       "with each field once and finite numbers only"
                                       + (f": {problem}." if problem else ".")})
    return data


def _json_body() -> tuple[Any, str | NotJSON | None]:
    """The parsed body, or None and why it is not JSON the API reads."""
    if not request.is_json:
        return None, "the Content-Type is not application/json"
    try:
        return current_app.json.loads(request.get_data(cache=True)), None
    except NotJSON as exc:
        return None, exc
    except UnicodeDecodeError:
        return None, "the body is not UTF-8"
    except ValueError as exc:  # json.JSONDecodeError
        return None, f"it is not JSON ({str(exc)[:80]})"
    except RecursionError:
        return None, "it nests arrays or objects too deeply"


def _loc(loc: tuple[Any, ...]) -> str:
    """The body's field path as the services name it: ``entries.vas`` is ``vas``."""
    parts = [str(p) for p in loc if not (isinstance(p, str) and (p in _UNION_TAGS or "[" in p))]
    if len(parts) > 1 and parts[0] == "entries":  # (entries itself missing: "entries")
        parts = parts[1:]
    return ".".join(parts) or "body"


def paged(models: list[BaseModel], next_cursor: str | None) -> Response:
    """A page of a list: the JSON array, and a ``Link: <…>; rel="next"`` header (RFC 8288)
    with the same query and the next cursor while more rows follow."""
    response = ok(models)
    if next_cursor is not None:
        args = request.args.to_dict() | {"cursor": next_cursor}
        url = f"{request.base_url}?{urlencode(args)}"
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response


def ok(model: BaseModel | list[BaseModel], status: int = 200) -> Response:
    if isinstance(model, list):
        response = jsonify([m.model_dump(mode="json") for m in model])
    else:
        response = jsonify(model.model_dump(mode="json"))
    response.status_code = status
    return response


def study_filter(code: str | None, errors: dict[str, str]) -> int | None:
    """The id of the study a list is kept to (by its code), or None: every study."""
    if not (code or "").strip():
        return None
    try:
        return find_study(get_session(), code.strip()[:40]).id  # type: ignore[union-attr]
    except NotFound:
        errors["study"] = unknown_study(code.strip())
        return None


def site_param(value: str | None, errors: dict[str, str]) -> int | None:
    """The site a list's ``site=`` names, by its code (NORTH, any case) or its id; None
    when not given. A site that does not exist is an error, not an empty list."""
    text = (value or "").strip()
    if not text:
        return None
    found = site_named(get_session(), text)
    if found is None:
        errors["site"] = (f"No site '{printable(text, 20)}': give a site's code (e.g. NORTH) "
                          "or its id.")
    elif own_site_id() not in (None, found):  # it answered her own site's, as if asked
        errors["site"] = "A nurse sees the patients of their own site only: leave site= out."
    return found


def patient_param(value: str | None, study_id: int | None,
                  errors: dict[str, str]) -> int | None:
    """The patient a list's ``patient=`` names, by its study code (DEMO-0001, any case;
    within ``study=`` when a code is used in two studies) or its id; None when not
    given. A patient that does not exist, or is not in ``study=``, is an error."""
    from sqlmodel import func, select

    from clinic.catalog import INT_MAX
    from clinic.models import Patient

    text = (value or "").strip()
    if not text:
        return None
    shown = printable(text, 30)
    by_id = text.isascii() and text.isdigit()
    if by_id and int(text) > INT_MAX:
        errors["patient"] = f"No patient {shown}: that number is far too large."
        return None
    query = select(Patient.id, Patient.study_id).where(
        Patient.id == int(text) if by_id else
        func.upper(Patient.study_code) == text[:30].upper())
    own = own_site_id()  # a nurse: another site's patient is no patient of hers
    if own is not None:
        query = query.where(Patient.site_id == own)
    found = get_session().exec(query.limit(3)).all()
    inside = [row for row in found if study_id is None or row[1] == study_id]
    if len(inside) == 1:
        return int(inside[0][0])
    if len(inside) > 1:
        errors["patient"] = f"Two studies have a patient '{shown}': add study=<code>."
    elif found:
        errors["patient"] = f"Patient '{shown}' is not in the study asked (study=)."
    else:
        errors["patient"] = (f"No patient '{shown}': give a study code (e.g. DEMO-0001) or a "
                             "patient id.")
    return None
