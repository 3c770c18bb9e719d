"""The API's routes: importing this module attaches them to the blueprint."""

from __future__ import annotations

from flask import jsonify, request
from werkzeug.wrappers import Response

from clinic.api import (  # noqa: F401  (routes)
    adverse_events,
    assessments,
    dose,
    fhir,
    patients,
    queries,
    studies,
)
from clinic.api.base import bp
from clinic.api.openapi import openapi_document
from clinic.auth.roles import public


@bp.get("/openapi.json")
@public
def openapi() -> Response:
    return jsonify(openapi_document(request.script_root + bp.url_prefix))  # type: ignore[operator]
