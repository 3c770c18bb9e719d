"""Contact data and consent: restricted roles, reason required, reminders follow consent,
a version check like every other correction, and the old and new values kept for the
roles that may see identity."""

from __future__ import annotations

from sqlmodel import select

from clinic.audit import REDACTED
from clinic.models import Assessment, AuditEvent, IdentityAuditEvent, PatientIdentity, Reminder
from tests.web.helpers import login


def _form(version: int, **overrides: str) -> dict[str, str]:
    return {"name": "Test Patient", "phone": "+00 5", "email": "new@example.invalid",
            "reminder_consent": "yes", "reason": "Patient called with a new e-mail",
            "version": str(version)} | overrides


def _identity(db, patient_id: int) -> PatientIdentity:
    db.expire_all()
    return db.exec(select(PatientIdentity).where(PatientIdentity.patient_id == patient_id)).one()


def _reminder_states(db, patient_id: int) -> set[str]:
    db.expire_all()
    return set(db.exec(select(Reminder.state).join(Assessment, Assessment.id ==
                                                   Reminder.assessment_id)
                       .where(Assessment.patient_id == patient_id)).all())


def test_withdrawing_consent_cancels_pending_reminders(client, clinic, db):
    login(client, clinic.users["nurse"])
    assert "pending" in _reminder_states(db, clinic.patient.id)
    version = _identity(db, clinic.patient.id).version
    response = client.post(f"/patients/{clinic.patient.id}/contact",
                           data=_form(version, reminder_consent="", reason="Declined reminders"))
    assert response.status_code == 302
    assert _reminder_states(db, clinic.patient.id) == {"cancelled"}
    identity = _identity(db, clinic.patient.id)
    assert identity.reminder_consent is False and identity.email == "new@example.invalid"
    assert identity.version == version + 1
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "patient_identity",
                                             AuditEvent.field == "email")).one()
    assert event.reason == "Declined reminders" and event.new_value == REDACTED
    kept = db.exec(select(IdentityAuditEvent).where(IdentityAuditEvent.field == "email")).one()
    assert kept.old_value.startswith("patient") and kept.new_value == "new@example.invalid"
    assert kept.patient_id == clinic.patient.id and kept.reason == "Declined reminders"


def test_a_stale_contact_form_gets_a_409_and_the_withdrawal_stays(client, clinic, db):
    """The probe's case: a form read before someone withdrew consent must not put the
    consent back (and re-open the reminders) when it is saved afterwards."""
    login(client, clinic.users["nurse"])
    read = _identity(db, clinic.patient.id).version
    email = _identity(db, clinic.patient.id).email
    withdrawn = client.post(f"/patients/{clinic.patient.id}/contact",
                            data=_form(read, email=email, reminder_consent="",
                                       reason="Patient opted out by phone"))
    assert withdrawn.status_code == 302
    stale = client.post(f"/patients/{clinic.patient.id}/contact",
                        data=_form(read, email=email, phone="+00 9", reason="New phone"))
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Your change was NOT saved" in page and "Patient opted out by phone" in page
    assert "reminder consent: yes → no" in page
    identity = _identity(db, clinic.patient.id)
    assert identity.reminder_consent is False and identity.phone != "+00 9"
    assert _reminder_states(db, clinic.patient.id) == {"cancelled"}


def test_a_contact_correction_that_changes_nothing_is_refused(client, clinic, db):
    login(client, clinic.users["nurse"])
    identity = _identity(db, clinic.patient.id)
    same = {"name": identity.name, "phone": identity.phone or "", "email": identity.email,
            "reminder_consent": "yes", "reason": "Checked with the patient",
            "version": str(identity.version)}
    response = client.post(f"/patients/{clinic.patient.id}/contact", data=same)
    assert response.status_code == 422 and "Nothing was changed" in response.get_data(
        as_text=True)
    assert _identity(db, clinic.patient.id).version == identity.version


def test_the_history_of_contact_data_shows_values_to_identity_roles(client, clinic, db):
    login(client, clinic.users["coordinator"])
    version = _identity(db, clinic.patient.id).version
    client.post(f"/patients/{clinic.patient.id}/contact",
                data=_form(version, email="second@example.invalid"))
    page = client.get(f"/patients/{clinic.patient.id}/contact").get_data(as_text=True)
    assert "second@example.invalid" in page and "Patient called with a new e-mail" in page


def test_a_change_needs_a_reason_and_a_valid_e_mail(client, clinic, db):
    login(client, clinic.users["coordinator"])
    version = _identity(db, clinic.patient.id).version
    response = client.post(f"/patients/{clinic.patient.id}/contact",
                           data=_form(version, email="not-an-address", reason=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give the reason for this change (kept in the audit trail), in at least 3 " \
           "characters." in page
    assert "valid e-mail" in page
    assert _identity(db, clinic.patient.id).email != "not-an-address"


def test_physicians_cannot_open_contact_data(client, clinic):
    login(client, clinic.users["physician"])
    assert client.get(f"/patients/{clinic.patient.id}/contact").status_code == 403


def test_an_address_beyond_ascii_is_saved_with_a_warning(client, clinic, db):
    """Found attacking the mail: jöhn@exämple.com was accepted and every e-mail to it
    failed on a server without SMTPUTF8, with no word when it was typed."""
    login(client, clinic.users["nurse"])
    version = _identity(db, clinic.patient.id).version
    saved = client.post(f"/patients/{clinic.patient.id}/contact", follow_redirects=True,
                        data=_form(version, email="jöhn@example.invalid"))
    page = saved.get_data(as_text=True)
    assert "contact data saved" in page and "holds letters beyond plain ASCII" in page
    assert _identity(db, clinic.patient.id).email == "jöhn@example.invalid"
