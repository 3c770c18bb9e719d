"""What the e-mails say.

The patient's e-mail names only the visit date and the clinic (the site's name, so that
it is not a message from nobody): no study, no procedure, no scores.
The nurse digest names patients by study code only; the contact route says which
channels exist (phone, e-mail), never the numbers or addresses, and only for a role
that may see contact data. It also lists the site's patients whose reminder failed or
may not have arrived, with the reason and what to do ("call the patient").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from flask import current_app, render_template
from sqlmodel import Session, col, select

from clinic.auth.roles import role_can_see_identity
from clinic.models import (
    Assessment,
    NurseDigest,
    Patient,
    PatientIdentity,
    Reminder,
    Site,
    Study,
    StudyTimepoint,
    User,
)
from clinic.reminders.mail import Outgoing, message_id
from clinic.reminders.queries import told_an_old_date, undelivered_reminders
from clinic.scheduling.status import status_case


@dataclass(frozen=True)
class DigestItem:
    study_code: str
    patient_code: str
    timepoint: str
    window_open: date
    window_close: date
    target_date: date
    status: str
    contact: str


def patient_email(session: Session, reminder: Reminder, domain: str) -> Outgoing | str:
    """The reminder e-mail, or the reason it must not go out any more."""
    found = session.exec(
        select(PatientIdentity, Site.name)
        .join(Assessment, col(Assessment.patient_id) == PatientIdentity.patient_id)
        .join(Patient, col(Patient.id) == Assessment.patient_id)
        .join(Site, col(Site.id) == Patient.site_id)
        .where(Assessment.id == reminder.assessment_id)).first()
    identity, clinic_name = found if found is not None else (None, "")
    if identity is None or not identity.reminder_consent:
        return "no consent to e-mail reminders"
    if not (identity.email or "").strip():
        return "no e-mail address"
    body = render_template("reminders/patient_visit.txt", visit_date=reminder.visit_date,
                           clinic=clinic_name, contact=current_app.config.get("CLINIC_CONTACT"))
    return Outgoing(to=identity.email.strip(),  # type: ignore[union-attr]
                    subject=f"Reminder: your follow-up visit on {reminder.visit_date.isoformat()}",
                    body=body, message_id=message_id("reminder", reminder.id, domain))  # type: ignore[arg-type]


def digest_items(session: Session, site_id: int, today: date,
                 with_contact: bool) -> list[DigestItem]:
    status = status_case(today).label("status")
    rows = session.exec(
        select(Study.code, Patient.study_code, StudyTimepoint.label, Assessment.window_open,
               Assessment.window_close, Assessment.target_date, status,
               PatientIdentity.phone, PatientIdentity.email)
        .join(Patient, col(Patient.id) == Assessment.patient_id)
        .join(Study, col(Study.id) == Patient.study_id)
        .join(StudyTimepoint, col(StudyTimepoint.id) == Assessment.timepoint_id)
        .outerjoin(PatientIdentity, col(PatientIdentity.patient_id) == Patient.id)
        .where(Patient.site_id == site_id, Assessment.state == "pending",
               Assessment.window_open <= today, Assessment.window_close >= today)
        .order_by(Assessment.target_date, Patient.study_code)).all()
    return [DigestItem(*row[:7], contact=_route(row[7], row[8]) if with_contact else "")
            for row in rows]


def _route(phone: str | None, email: str | None) -> str:
    return ", ".join(name for name, value in (("phone", phone), ("e-mail", email))
                     if (value or "").strip())


def summarize(items: list[DigestItem]) -> str:
    counts = Counter(item.status for item in items)
    return ", ".join(f"{counts[s]} {s}" for s in ("due", "overdue") if counts[s]) or "none"


def digest_email(session: Session, digest: NurseDigest,
                 domain: str) -> tuple[Outgoing, str] | str:
    """The digest e-mail and its summary, or the reason it must not go out."""
    nurse = session.get(User, digest.user_id)
    if nurse is None or not nurse.is_active or nurse.site_id is None:
        return "nurse inactive or without a site"
    items = digest_items(session, nurse.site_id, digest.digest_date,
                         with_contact=role_can_see_identity(nurse.role))
    if not items:
        return "nothing due or overdue"
    site = session.get(Site, nurse.site_id)
    summary = summarize(items)
    body = render_template("reminders/nurse_digest.txt", items=items, summary=summary,
                           today=digest.digest_date, site_code=site.code if site else "",
                           old_dates=told_an_old_date(session, site_id=nurse.site_id),
                           undelivered=undelivered_reminders(session, site_id=nurse.site_id))
    subject = (f"Follow-ups due and overdue {digest.digest_date.isoformat()}"
               f" ({site.code if site else ''}): {summary}")
    return Outgoing(to=nurse.email, subject=subject, body=body,
                    message_id=message_id("digest", digest.id, domain)), summary  # type: ignore[arg-type]
