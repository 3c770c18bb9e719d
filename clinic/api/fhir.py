"""API: a patient's record as a FHIR Bundle (``Patient/{id}/$everything``), and each of
its resources read on its own (``{type}/{id}``: the ``fullUrl`` of each entry of the
Bundle, and the target of the references between them, resolve). Their errors are FHIR
OperationOutcomes, as a FHIR client reads them."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, current_app, request, url_for
from flask_login import current_user

from clinic.api.base import bp
from clinic.auth.roles import any_user, role_can_see_identity
from clinic.db import get_session
from clinic.fhir.codes import READABLE
from clinic.fhir.outcome import operation_outcome
from clinic.web.access import not_found, patient_or_404, printable

FHIR_JSON = "application/fhir+json"


@bp.get("/fhir/Patient/<int:patient_id>/$everything")
@any_user
def fhir_everything(patient_id: int) -> Response:
    """Pseudonymised (the study code only); ``?identity=true`` adds name and MRN for a
    role that may see identity (nurses, coordinators, administrators). Each entry's
    ``fullUrl`` is absolute, on the configured PUBLIC_URL (not the request's Host header,
    which the client chooses)."""
    from clinic.fhir.export import patient_bundle  # on first use

    session = get_session()
    patient = patient_or_404(session, patient_id)
    with_identity = _with_identity()
    base = current_app.config["PUBLIC_URL"].rstrip("/") + url_for(  # the FHIR base, as
        "api.fhir_everything", patient_id=patient.id).rsplit("/Patient/", 1)[0]  # configured
    bundle = patient_bundle(session, patient, with_identity=with_identity, base=base)
    return _fhir(bundle)


@bp.get("/fhir/<resource_type>/<resource_id>")
@any_user
def fhir_read(resource_type: str, resource_id: str) -> Response:
    """One resource of a patient's record, as ``$everything`` holds it (the patient's
    site and identity rules alike), or an instrument's Questionnaire."""
    from clinic.fhir.export import owner_of, patient_resource, questionnaire

    kind, key = resource_type, resource_id
    if kind not in READABLE:
        abort(404, f"{printable(kind, 40)} is not a resource type served here: "
                   f"{', '.join(READABLE)}.")
    if kind == "Questionnaire":
        found = questionnaire(key)
        if found is None:
            abort(404, f"No Questionnaire {printable(key, 40)}: there is one for odi and "
                       "ndi.")
        return _fhir(found)
    session = get_session()
    owner = owner_of(session, kind, key)
    if owner is None:
        not_found()  # (the words of a record at another site: they tell nothing of it)
    patient = patient_or_404(session, owner)  # (a nurse: her site's patients only)
    found = patient_resource(session, patient, kind, key,
                             with_identity=_with_identity(kind))
    if found is None:
        not_found()
    return _fhir(found)


def _with_identity(kind: str = "Patient") -> bool:
    """``?identity=true``: name and MRN on the Patient, for a role that may see them."""
    wanted = request.args.get("identity") == "true"
    if wanted and not role_can_see_identity(current_user.role):
        abort(403, "Your role does not see identity: ask without identity=true.")
    return wanted and kind == "Patient"


def _fhir(resource: dict[str, Any]) -> Response:
    return Response(json.dumps(resource, ensure_ascii=False), mimetype=FHIR_JSON,
                    headers={"Cache-Control": "no-store"})


@bp.after_app_request  # (app-wide: a 405 or 404 of routing belongs to no blueprint)
def _errors_as_operation_outcomes(response: Response) -> Response:
    """An error of a FHIR address (no token, another site's record, a parameter refused,
    405, 500 ...) as an OperationOutcome: the API's ``message`` the first issue's
    diagnostics, each field's error an issue naming the field in ``expression``. The
    status and headers (WWW-Authenticate, Allow) stay."""
    if response.status_code < 400 or not response.is_json or not _is_fhir_address():
        return response
    try:  # (not the app's strict reader: a message may quote a NUL the request sent)
        said = json.loads(response.get_data())
    except ValueError:
        return response
    if not isinstance(said, dict):
        return response
    outcome = operation_outcome(response.status_code, str(said.get("message") or ""),
                                said.get("errors") or {})
    response.set_data(json.dumps(outcome, ensure_ascii=False))
    response.mimetype = FHIR_JSON
    return response


def _is_fhir_address() -> bool:
    """Under the FHIR base, or the base itself (``/api/v1/fhir``: it was the API's JSON)."""
    base = f"{bp.url_prefix}/fhir"
    return request.path == base or request.path.startswith(f"{base}/")
