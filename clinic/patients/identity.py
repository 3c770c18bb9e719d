"""Change a patient's identifying and contact data, corrected like every other record:
a reason, the version read (409 on a stale form), and an audit event that keeps the
old and new value (in identity_audit_event, read by identity roles only). Reminders
follow consent and e-mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from clinic.edits import claim, require_reason
from clinic.enrollment.inputs import IdentityInput, validate_identity
from clinic.exceptions import ValidationError
from clinic.models import IdentityAuditEvent, Patient, PatientIdentity, User
from clinic.models.base import utcnow
from clinic.reminders.planning import reconcile_patient_reminders

FIELDS = ("name", "mrn", "phone", "email", "birth_date", "reminder_consent",
          "self_report_consent", "language")


def identity_of(session: Session, patient: Patient) -> PatientIdentity | None:
    return session.exec(select(PatientIdentity)
                        .where(PatientIdentity.patient_id == patient.id)).first()


def update_identity(session: Session, *, patient: Patient, data: IdentityInput,
                    reason: str | None, read_version: int | None) -> list[str]:
    """Validate, store at the version read, re-plan reminders; returns what changed.

    The caller has set the actor (clinic.audit.set_actor) with the reason.
    """
    errors: dict[str, str] = {}
    try:
        validate_identity(data)
    except ValidationError as error:
        errors.update(error.errors)
    try:
        require_reason(reason)
    except ValidationError as error:
        errors.update(error.errors)
    if errors:
        raise ValidationError(errors)
    identity = identity_of(session, patient)
    wanted = {"name": data.name.strip(), "mrn": data.mrn, "phone": data.phone,
              "email": data.email, "birth_date": data.birth_date,
              "reminder_consent": data.reminder_consent,
              "self_report_consent": data.self_report_consent, "language": data.language}
    if identity is None:
        identity = PatientIdentity(patient_id=patient.id, **wanted)  # type: ignore[arg-type]
        changed = list(FIELDS)
    else:
        claim(session, identity, read_version)  # a stale form is a conflict first
        changed = [k for k in FIELDS if getattr(identity, k) != wanted[k]]
        if not changed:
            raise ValidationError({"reason": "Nothing was changed."})
    if data.reminder_consent and not identity.reminder_consent:
        identity.consent_recorded_at = utcnow()
    for key in changed:
        setattr(identity, key, wanted[key])
    session.add(identity)
    session.flush()
    reconcile_patient_reminders(session, patient.id)  # type: ignore[arg-type]
    return changed


@dataclass(frozen=True)
class IdentityChange:
    at: datetime
    who: str
    field: str | None
    old: str | None
    new: str | None
    reason: str | None


def identity_history(session: Session, patient_id: int, limit: int = 50) -> list[IdentityChange]:
    """The patient's identity changes with their values, newest first (identity roles)."""
    rows = session.exec(select(IdentityAuditEvent, User.name)
                        .outerjoin(User, col(User.id) == IdentityAuditEvent.user_id)
                        .where(IdentityAuditEvent.patient_id == patient_id)
                        .order_by(col(IdentityAuditEvent.occurred_at).desc(),
                                  col(IdentityAuditEvent.id).desc()).limit(limit)).all()
    return [_change(e, name) for e, name in rows]


def _change(e: IdentityAuditEvent, who: str | None) -> IdentityChange:
    if e.action != "update":  # a snapshot of the whole row: say what happened instead
        text = "first recorded" if e.action == "create" else "removed"
        return IdentityChange(e.occurred_at, who or "the system", None, None, text, e.reason)
    return IdentityChange(e.occurred_at, who or "the system", e.field, _shown(e.old_value),
                          _shown(e.new_value), e.reason)


def _shown(value: str | None) -> str | None:
    return {"True": "yes", "False": "no"}.get(value or "", value)
