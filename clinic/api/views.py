"""The API's routes: importing this module attaches them to the blueprint."""

from __future__ import annotations

from flask import jsonify, request
from werkzeug.wrappers import Response

from clinic.api import adverse_events, assessments, patients, queries, studies  # noqa: F401  (routes)
from clinic.api.base import bp
from clinic.api.openapi import openapi_document
from clinic.auth.roles import public


@bp.get("/openapi.json")
@public
def openapi() -> Response:
    return jsonify(openapi_document(request.script_root + bp.url_prefix))  # type: ignore[operator]
