"""API: studies from protocol documents (the protocol file's content as JSON)."""

from __future__ import annotations

from flask import abort, current_app, request
from flask_login import current_user
from sqlmodel import select
from werkzeug.wrappers import Response

from clinic.api.base import bp, json_object, ok
from clinic.api.schemas import EffectSizeOut, StudyOut
from clinic.auth.roles import allow, any_user
from clinic.db import get_session
from clinic.exceptions import NotFound, ValidationError
from clinic.models import Study
from clinic.protocol.protocol_file import ProtocolFileError, validate_data
from clinic.studies.protocols import create_from_document, document_of
from clinic.studies.setup import find_study
from clinic.web.access import MANAGES_STUDY, REVIEWS_COHORT
from clinic.web.filters import clinic_today


def _study_out(study: Study) -> StudyOut:
    return StudyOut(code=study.code, title=study.title, design_type=study.design_type,
                    status=study.status, protocol_version=study.protocol_version,
                    is_synthetic=study.is_synthetic)


@bp.get("/studies")
@any_user
def list_studies() -> Response:
    rows = get_session().exec(select(Study).order_by(Study.code)).all()
    return ok([_study_out(s) for s in rows])


@bp.post("/studies")
@allow(*MANAGES_STUDY)
def create_study() -> Response:
    """A new study from a protocol document; ``?draft=true`` keeps it a draft."""
    session = get_session()
    data = json_object()
    try:
        doc = validate_data(data)
    except ProtocolFileError as error:
        raise ValidationError(error.as_errors()) from error
    study = create_from_document(session, doc, draft=request.args.get("draft") == "true",
                                 actor_id=current_user.id)
    session.commit()
    return ok(_study_out(study), 201)


@bp.get("/studies/<code>/effect-sizes")
@allow(*REVIEWS_COHORT)
def get_effect_sizes(code: str) -> Response:
    """Per outcome × timepoint × comparison of arms (clinic.reports.effects)."""
    from clinic.reports.cells import Arms
    from clinic.reports.data import load_study_data
    from clinic.reports.effects import effect_rows
    from clinic.reports.filters import filters_from_mapping

    session = get_session()
    try:
        study = find_study(session, code[:40])
    except NotFound:
        abort(404)
    data = load_study_data(session, study, filters_from_mapping({}, clinic_today()),
                           current_app.config["TIMEZONE"])
    rows = effect_rows(data, Arms.of(data))
    return ok([EffectSizeOut(**row.as_dict()) for row in rows])


@bp.get("/studies/<code>/protocol")
@any_user
def get_protocol(code: str) -> Response:
    session = get_session()
    try:
        study = find_study(session, code[:40])
    except NotFound:
        abort(404)
    return ok(document_of(session, study))
