"""Contact data and consent: restricted roles, reason required, reminders follow consent."""

from __future__ import annotations

from sqlmodel import select

from clinic.audit import REDACTED
from clinic.models import Assessment, AuditEvent, PatientIdentity, Reminder
from tests.web.helpers import login


def _form(**overrides: str) -> dict[str, str]:
    return {"name": "Test Patient", "phone": "+00 5", "email": "new@example.invalid",
            "reminder_consent": "yes", "reason": "Patient called with a new e-mail"} | overrides


def _reminder_states(db, patient_id: int) -> set[str]:
    db.expire_all()
    return set(db.exec(select(Reminder.state).join(Assessment, Assessment.id ==
                                                   Reminder.assessment_id)
                       .where(Assessment.patient_id == patient_id)).all())


def test_withdrawing_consent_cancels_pending_reminders(client, clinic, db):
    login(client, clinic.users["nurse"])
    assert "pending" in _reminder_states(db, clinic.patient.id)
    response = client.post(f"/patients/{clinic.patient.id}/contact",
                           data=_form(reminder_consent="", reason="Declined reminders"))
    assert response.status_code == 302
    assert _reminder_states(db, clinic.patient.id) == {"cancelled"}
    identity = db.exec(select(PatientIdentity)
                       .where(PatientIdentity.patient_id == clinic.patient.id)).one()
    assert identity.reminder_consent is False and identity.email == "new@example.invalid"
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "patient_identity",
                                             AuditEvent.field == "email")).one()
    assert event.reason == "Declined reminders" and event.new_value == REDACTED


def test_a_change_needs_a_reason_and_a_valid_e_mail(client, clinic, db):
    login(client, clinic.users["coordinator"])
    response = client.post(f"/patients/{clinic.patient.id}/contact",
                           data=_form(email="not-an-address", reason=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Say why the contact data changed." in page and "valid e-mail" in page
    identity = db.exec(select(PatientIdentity)
                       .where(PatientIdentity.patient_id == clinic.patient.id)).one()
    assert identity.email != "not-an-address"


def test_physicians_cannot_open_contact_data(client, clinic):
    login(client, clinic.users["physician"])
    assert client.get(f"/patients/{clinic.patient.id}/contact").status_code == 403
