"""Read side: the next reminder of a patient, the delivery log, rows needing attention,
and patients who were e-mailed a visit date that has since changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from clinic.models import (
    Assessment,
    DeliveryAttempt,
    NurseDigest,
    Patient,
    Reminder,
    StudyTimepoint,
    User,
)
from clinic.reminders.planning import clinic_today
from clinic.reminders.rows import change_state

ACTIVE_STATES = ("pending", "sending")
ATTENTION_STATES = ("failed", "unknown")


@dataclass(frozen=True)
class NextReminder:
    reminder_id: int
    timepoint: str
    visit_date: date
    send_on: date
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None


def next_reminder_for_patient(session: Session, patient_id: int,
                              today: date | None = None) -> NextReminder | None:
    """The patient's next reminder still to go out (pending or being sent), or None.

    ``today`` defaults to the clinic's day: reminders of past visits are not "next".
    """
    today = today or clinic_today()
    row = session.exec(
        select(Reminder.id, StudyTimepoint.label, Reminder.visit_date, Reminder.send_on,
               Reminder.state, Reminder.attempts, Reminder.next_attempt_at, Reminder.last_error)
        .join(Assessment, col(Assessment.id) == Reminder.assessment_id)
        .join(StudyTimepoint, col(StudyTimepoint.id) == Assessment.timepoint_id)
        .where(Assessment.patient_id == patient_id, col(Reminder.state).in_(ACTIVE_STATES),
               *([col(Reminder.visit_date) >= today] if today else []))
        .order_by(col(Reminder.send_on), col(Reminder.id)).limit(1)).first()
    return None if row is None else NextReminder(*row)  # type: ignore[arg-type]


@dataclass(frozen=True)
class LogLine:
    at: datetime
    channel: str
    about: str  # study code and timepoint, or the digest's day
    recipient: str | None
    subject: str | None
    outcome: str
    smtp_code: int | None
    error: str | None
    message_id: str | None

    @property
    def failed(self) -> bool:
        return self.outcome != "sent"


def _site_filter(site_id: int | None, patient: Any, nurse: Any) -> list[ColumnElement[bool]]:
    if site_id is None:
        return []
    return [or_(patient.site_id == site_id, nurse.site_id == site_id)]


def delivery_log(session: Session, *, site_id: int | None = None,
                 limit: int = 200) -> list[LogLine]:
    """Newest attempts first; ``site_id`` limits it to one site (nurses see their own)."""
    patient, nurse = aliased(Patient), aliased(User)
    rows = session.exec(
        select(DeliveryAttempt, patient.study_code, StudyTimepoint.label,
               NurseDigest.digest_date)
        .outerjoin(Reminder, col(Reminder.id) == DeliveryAttempt.reminder_id)
        .outerjoin(Assessment, col(Assessment.id) == Reminder.assessment_id)
        .outerjoin(StudyTimepoint, col(StudyTimepoint.id) == Assessment.timepoint_id)
        .outerjoin(patient, patient.id == Assessment.patient_id)
        .outerjoin(NurseDigest, col(NurseDigest.id) == DeliveryAttempt.digest_id)
        .outerjoin(nurse, nurse.id == NurseDigest.user_id)
        .where(*_site_filter(site_id, patient, nurse))
        .order_by(col(DeliveryAttempt.at).desc(), col(DeliveryAttempt.id).desc())
        .limit(limit)).all()
    return [LogLine(a.at, a.channel, _about(code, label, day), a.recipient, a.subject,
                    a.outcome, a.smtp_code, a.error, a.message_id)
            for a, code, label, day in rows]


def _about(code: str | None, label: str | None, day: date | None) -> str:
    if code is not None:
        return f"{code} · {label}"
    return f"digest of {day.isoformat()}" if day else ""


@dataclass(frozen=True)
class AttentionRow:
    kind: str  # reminder | digest
    row_id: int
    about: str
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None


def needing_attention(session: Session, *, site_id: int | None = None) -> list[AttentionRow]:
    """Failed for good, outcome unknown, or retrying: what staff should look at."""
    wanted = or_(col(Reminder.state).in_(ATTENTION_STATES),
                 (Reminder.state == "pending") & (col(Reminder.attempts) > 0))
    reminders = session.exec(
        select(Reminder, Patient.study_code, StudyTimepoint.label)
        .join(Assessment, col(Assessment.id) == Reminder.assessment_id)
        .join(StudyTimepoint, col(StudyTimepoint.id) == Assessment.timepoint_id)
        .join(Patient, col(Patient.id) == Assessment.patient_id)
        .where(wanted, *([Patient.site_id == site_id] if site_id else []))
        .order_by(col(Reminder.id))).all()
    wanted_digest = or_(col(NurseDigest.state).in_(ATTENTION_STATES),
                        (NurseDigest.state == "pending") & (col(NurseDigest.attempts) > 0))
    digests = session.exec(
        select(NurseDigest, User.email).join(User, col(User.id) == NurseDigest.user_id)
        .where(wanted_digest, *([User.site_id == site_id] if site_id else []))
        .order_by(col(NurseDigest.id))).all()
    return ([AttentionRow("reminder", r.id, f"{code} · {label} (visit {r.visit_date})",  # type: ignore[arg-type]
                          r.state, r.attempts, r.last_error, r.next_attempt_at)
             for r, code, label in reminders]
            + [AttentionRow("digest", d.id, f"digest of {d.digest_date} to {email}",  # type: ignore[arg-type]
                            d.state, d.attempts, d.last_error, d.next_attempt_at)
               for d, email in digests])


def requeue_failed(session: Session, kind: str, row_id: int) -> bool:
    """Staff decision: try a 'failed' row again (never an 'unknown' one: it may be sent)."""
    model = Reminder if kind == "reminder" else NurseDigest
    return change_state(session, model, [col(model.id) == row_id, col(model.state) == "failed"],
                        state="pending", attempts=0, next_attempt_at=None,
                        note="sent again on staff request")


@dataclass(frozen=True)
class OldDateNotice:
    """A patient was e-mailed one visit date; the visit has moved since."""

    patient_id: int
    study_code: str
    timepoint: str
    told: date  # the date the sent reminder announced
    now: date  # the assessment's target date today


def told_an_old_date(session: Session, *, site_id: int | None = None,
                     patient_id: int | None = None) -> list[OldDateNotice]:
    """Sent reminders whose visit moved afterwards, for follow-ups still to be done.

    A reminder goes out at most once per assessment and kind, so the patient is not
    e-mailed again; staff must tell the patient (this list is on /reminders, in the
    nurse digest and on the patient page).
    """
    rows = session.exec(
        select(Patient.id, Patient.study_code, StudyTimepoint.label, Reminder.visit_date,
               Assessment.target_date)
        .join(Assessment, col(Assessment.id) == Reminder.assessment_id)
        .join(StudyTimepoint, col(StudyTimepoint.id) == Assessment.timepoint_id)
        .join(Patient, col(Patient.id) == Assessment.patient_id)
        .where(Reminder.state == "sent", Assessment.state == "pending",
               col(Reminder.visit_date) != col(Assessment.target_date),
               *([Patient.site_id == site_id] if site_id else []),
               *([Patient.id == patient_id] if patient_id else []))
        .order_by(col(Assessment.target_date), col(Patient.study_code))).all()
    return [OldDateNotice(*row) for row in rows]  # type: ignore[arg-type]
