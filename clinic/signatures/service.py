"""Signing a patient's recorded data, and checking each signature against the data as
it is now (recomputed every time a signature is shown)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session
from werkzeug.security import check_password_hash

from clinic.audit import set_actor
from clinic.catalog import SIGNATURE_MEANINGS, SIGNS_DATA
from clinic.exceptions import ValidationError
from clinic.models import (
    AdverseEvent,
    Assessment,
    Enrollment,
    Injectate,
    Medication,
    Patient,
    Procedure,
    ProcedureTarget,
    RootLaterality,
    Score,
    ScoreSection,
    Signature,
    User,
)
from clinic.signatures.content import Content, content_hash


@dataclass(frozen=True)
class SignatureState:
    signature: Signature
    valid: bool


def patient_content(session: Session, patient: Patient) -> Content:
    """The patient's recorded data (identity left out: it is not study data)."""
    pid = patient.id
    procedures = _rows(session, Procedure, Procedure.patient_id == pid)
    procedure_ids = [r["id"] for r in procedures]
    visits = _rows(session, Assessment, Assessment.patient_id == pid,
                   Assessment.state != "pending")
    visit_ids = [r["id"] for r in visits]
    scores = _rows(session, Score, Score.assessment_id.in_(visit_ids))  # type: ignore[attr-defined]
    return {
        "patient": _rows(session, Patient, Patient.id == pid),
        "enrollment": _rows(session, Enrollment, Enrollment.patient_id == pid),
        "root_laterality": _rows(session, RootLaterality, RootLaterality.patient_id == pid),
        "procedure": procedures,
        "procedure_target": _rows(session, ProcedureTarget,
                                  ProcedureTarget.procedure_id.in_(procedure_ids)),  # type: ignore[attr-defined]
        "injectate": _rows(session, Injectate, Injectate.procedure_id.in_(procedure_ids)),  # type: ignore[attr-defined]
        "assessment": visits,
        "score": scores,
        "score_section": _rows(session, ScoreSection, ScoreSection.score_id.in_(  # type: ignore[attr-defined]
            [r["id"] for r in scores])),
        "medication": _rows(session, Medication, Medication.assessment_id.in_(visit_ids)),  # type: ignore[attr-defined]
        "adverse_event": _rows(session, AdverseEvent, AdverseEvent.patient_id == pid),
    }


def _rows(session: Session, model: Any, *conditions: Any) -> list[dict[str, Any]]:
    table = model.__table__
    return [dict(row) for row in session.connection().execute(
        select(table).where(*conditions).order_by(table.c.id)).mappings()]


def sign(session: Session, *, patient: Patient, signer: User, meaning: str, password: str,
         email: str | None, needs_email: bool) -> Signature:
    """Sign with the password again (and the e-mail too, on the first signing of a
    session: §11.200(a)(1)). Refused with a field error otherwise; the caller commits."""
    errors: dict[str, str] = {}
    if signer.role not in SIGNS_DATA:
        errors["meaning"] = "Only a physician or the principal investigator signs."
    if meaning not in SIGNATURE_MEANINGS:
        errors["meaning"] = "Choose what the signature means."
    if needs_email and (email or "").strip().lower() != signer.email.lower():
        errors["email"] = "Enter your own e-mail address (the first signing of a session)."
    if not password or not check_password_hash(signer.password_hash, password):
        errors["password"] = "The password is not right: nothing was signed."
    if errors:
        raise ValidationError(errors)
    set_actor(session, signer.id, f"Signed: {SIGNATURE_MEANINGS[meaning]}")
    signature = Signature(patient_id=patient.id, signer_id=signer.id,  # type: ignore[arg-type]
                          printed_name=signer.name, meaning=meaning,
                          content_hash=content_hash(patient_content(session, patient)))
    session.add(signature)
    session.flush()
    return signature


def signature_states(session: Session, patient: Patient) -> list[SignatureState]:
    """Each of the patient's signatures, valid only while the signed data is unchanged."""
    signatures = session.exec(select(Signature).where(  # type: ignore[call-overload]
        Signature.patient_id == patient.id).order_by(Signature.id)).scalars().all()
    if not signatures:
        return []
    now = content_hash(patient_content(session, patient))
    return [SignatureState(s, s.content_hash == now) for s in signatures]
