"""API: a patient's record as a FHIR Bundle (``Patient/{id}/$everything``)."""

from __future__ import annotations

import json

from flask import Response, abort, current_app, request, url_for
from flask_login import current_user

from clinic.api.base import bp
from clinic.auth.roles import any_user, role_can_see_identity
from clinic.db import get_session
from clinic.web.access import patient_or_404

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
    with_identity = request.args.get("identity") == "true"
    if with_identity and not role_can_see_identity(current_user.role):
        abort(403, "Your role does not see identity: ask without identity=true.")
    base = current_app.config["PUBLIC_URL"].rstrip("/") + url_for(  # the FHIR base, as
        "api.fhir_everything", patient_id=patient.id).rsplit("/Patient/", 1)[0]  # configured
    bundle = patient_bundle(session, patient, with_identity=with_identity, base=base)
    return Response(json.dumps(bundle, ensure_ascii=False), mimetype=FHIR_JSON,
                    headers={"Cache-Control": "no-store"})
