"""Change a patient's identifying and contact data; reminders follow consent and e-mail."""

from __future__ import annotations

from sqlmodel import Session, select

from clinic.enrollment.inputs import IdentityInput, validate_identity
from clinic.exceptions import ValidationError
from clinic.models import Patient, PatientIdentity
from clinic.models.base import utcnow
from clinic.reminders.planning import reconcile_patient_reminders


def identity_of(session: Session, patient: Patient) -> PatientIdentity | None:
    return session.exec(select(PatientIdentity)
                        .where(PatientIdentity.patient_id == patient.id)).first()


def update_identity(session: Session, *, patient: Patient, data: IdentityInput,
                    reason: str | None) -> PatientIdentity:
    """Validate, store (audited, values redacted in the trail) and re-plan reminders."""
    errors: dict[str, str] = {}
    try:
        validate_identity(data)
    except ValidationError as error:
        errors.update(error.errors)
    if not (reason or "").strip():
        errors["reason"] = "Say why the contact data changed."
    if errors:
        raise ValidationError(errors)
    identity = identity_of(session, patient) or PatientIdentity(
        patient_id=patient.id, name=data.name)  # type: ignore[arg-type]
    if data.reminder_consent and not identity.reminder_consent:
        identity.consent_recorded_at = utcnow()
    identity.name, identity.mrn = data.name.strip(), data.mrn
    identity.phone, identity.email = data.phone, data.email
    identity.reminder_consent = data.reminder_consent
    session.add(identity)
    session.flush()
    reconcile_patient_reminders(session, patient.id)
    return identity
