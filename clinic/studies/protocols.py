"""Studies from protocol documents: create (as a draft or active), read back as a
document, replace a draft's protocol, activate, close enrollment.

A draft (status ``planning``) can change in every way; an active study changes only
by amendment (clinic.studies.amendments).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from clinic.audit import set_actor
from clinic.exceptions import ValidationError
from clinic.models import (
    Enrollment,
    Study,
)
from clinic.protocol.document import ProtocolDocument
from clinic.protocol.protocol_file import from_definition, to_definition
from clinic.studies.setup import (
    CHILD_KEYS,
    child_rows,
    create_study,
    load_definition,
    matching_to_json,
)

DRAFT, ACTIVE, FOLLOW_UP_ONLY = "planning", "recruiting", "follow_up"


def create_from_document(session: Session, doc: ProtocolDocument, *, draft: bool,
                         actor_id: int | None = None) -> Study:
    set_actor(session, actor_id, "Study created" + (" as a draft" if draft else ""))
    return create_study(session, to_definition(doc), status=DRAFT if draft else ACTIVE)


def document_of(session: Session, study: Study) -> ProtocolDocument:
    return from_definition(load_definition(session, study))


def replace_draft(session: Session, study: Study, doc: ProtocolDocument,
                  actor_id: int | None = None) -> bool:
    """A draft's protocol replaced as a whole (nothing depends on it yet). Rows are
    matched by their code and changed in place, so the audit trail shows what changed,
    not every row deleted and made again. False: the document is the draft already."""
    if study.status != DRAFT:
        raise ValidationError({"study": "Only a draft can be changed freely; an active study "
                                        "changes by amendment."})
    if doc.code != study.code and session.exec(select(Study).where(Study.code == doc.code)).first():
        raise ValidationError({"code": f"A study with code {doc.code!r} exists."})
    if document_of(session, study) == doc:
        return False
    d = to_definition(doc)
    set_actor(session, actor_id, "Draft study changed")
    from clinic.protocol.definition import strata_to_json

    study.code, study.title, study.design = d.code, d.title, d.design
    study.design_type, study.consent_version = d.design_type, d.consent_version
    study.steroid_cap_mg, study.is_synthetic = d.steroid_cap_mg, d.is_synthetic
    study.capped_steroid = d.capped_steroid
    study.strata_rules = strata_to_json(d.strata)
    study.block_multipliers = list(d.block_multipliers)
    study.matching = matching_to_json(d.matching)
    study.self_report = d.self_report.to_json() if d.self_report else None
    study.roots = list(d.roots)
    study.sequence_generated_at = study.randomization_seed = None
    session.add(study)
    for model, rows in child_rows(d).items():
        _sync(session, model, study.id, rows)  # type: ignore[arg-type]
    session.flush()
    return True


def _sync(session: Session, model: type, study_id: int, rows: list[dict[str, Any]]) -> None:
    """The study's rows of ``model`` made equal to ``rows``: changed in place where the
    key matches, added, or deleted (removed rows go first, so a key can move)."""
    key = CHILD_KEYS[model]
    stored = {getattr(r, key): r for r in session.exec(
        select(model).where(model.study_id == study_id))}  # type: ignore[attr-defined]
    wanted = {values[key] for values in rows}
    for code in [c for c in stored if c not in wanted]:
        session.delete(stored.pop(code))
    session.flush()
    for values in rows:
        row = stored.get(values[key]) or model(study_id=study_id)
        for name, value in values.items():
            if getattr(row, name, None) != value:
                setattr(row, name, value)
        session.add(row)


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
