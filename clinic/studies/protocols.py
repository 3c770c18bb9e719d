"""Studies from protocol documents: create (as a draft or active), read back as a
document, replace a draft's protocol, activate, close enrollment.

A draft (status ``planning``) can change in every way; an active study changes only
by amendment (clinic.studies.amendments).
"""

from __future__ import annotations

from sqlmodel import Session, select

from clinic.audit import set_actor
from clinic.exceptions import ValidationError
from clinic.models import (
    EligibilityCriterion,
    Enrollment,
    Study,
    StudyArm,
    StudyMeasure,
    StudyTimepoint,
)
from clinic.protocol.document import ProtocolDocument
from clinic.protocol.protocol_file import from_definition, to_definition
from clinic.studies.setup import _add_children, create_study, load_definition, matching_to_json

DRAFT, ACTIVE, FOLLOW_UP_ONLY = "planning", "recruiting", "follow_up"


def create_from_document(session: Session, doc: ProtocolDocument, *, draft: bool,
                         actor_id: int | None = None) -> Study:
    set_actor(session, actor_id, "Study created" + (" as a draft" if draft else ""))
    return create_study(session, to_definition(doc), status=DRAFT if draft else ACTIVE)


def document_of(session: Session, study: Study) -> ProtocolDocument:
    return from_definition(load_definition(session, study))


def replace_draft(session: Session, study: Study, doc: ProtocolDocument,
                  actor_id: int | None = None) -> Study:
    """A draft's protocol replaced as a whole (nothing depends on it yet); the rows it
    replaces are deleted one by one, each with its audit event."""
    if study.status != DRAFT:
        raise ValidationError({"study": "Only a draft can be changed freely; an active study "
                                        "changes by amendment."})
    if doc.code != study.code and session.exec(select(Study).where(Study.code == doc.code)).first():
        raise ValidationError({"code": f"A study with code {doc.code!r} exists."})
    d = to_definition(doc)
    set_actor(session, actor_id, "Draft study changed")
    for model in (StudyMeasure, StudyTimepoint, EligibilityCriterion, StudyArm):
        for row in session.exec(select(model).where(model.study_id == study.id)):  # type: ignore[attr-defined]
            session.delete(row)
    session.flush()
    from clinic.protocol.definition import strata_to_json

    study.code, study.title, study.design = d.code, d.title, d.design
    study.design_type, study.consent_version = d.design_type, d.consent_version
    study.steroid_cap_mg, study.is_synthetic = d.steroid_cap_mg, d.is_synthetic
    study.strata_rules = strata_to_json(d.strata)
    study.block_multipliers = list(d.block_multipliers)
    study.matching = matching_to_json(d.matching)
    study.self_report = d.self_report.to_json() if d.self_report else None
    study.sequence_generated_at = study.randomization_seed = None
    session.add(study)
    session.flush()
    _add_children(session, study.id, d)  # type: ignore[arg-type]
    session.flush()
    return study


def activate(session: Session, study: Study, actor_id: int | None = None) -> Study:
    if study.status != DRAFT:
        raise ValidationError({"study": f"{study.code} is not a draft."})
    set_actor(session, actor_id, "Study activated")
    study.status = ACTIVE
    session.add(study)
    session.flush()
    return study


def close_enrollment(session: Session, study: Study) -> Study:
    if study.status != ACTIVE:
        raise ValidationError({"study": f"{study.code} is not recruiting."})
    study.status = FOLLOW_UP_ONLY
    session.add(study)
    session.flush()
    return study


def has_enrollments(session: Session, study: Study) -> bool:
    return session.exec(select(Enrollment.id).where(Enrollment.study_id == study.id)
                        ).first() is not None
