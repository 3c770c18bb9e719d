"""Read side: the next reminder of a patient, the delivery log, rows needing attention
(with what to check), reminders that did not reach a patient, and patients who were
e-mailed a visit date that has since changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from clinic.models import (
    Assessment,
    DeliveryAttempt,
    NurseDigest,
    Patient,
    Reminder,
    SelfReportMessage,
    StudyTimepoint,
    User,
)
from clinic.reminders.advice import nurse_advice, staff_advice
from clinic.reminders.mail import message_id
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
        # the state inside an expression: no index on it, so the database starts from the
        # patient's visits (a handful) and not from every active reminder of the registry
        .where(Assessment.patient_id == patient_id,
               func.coalesce(Reminder.state, "").in_(ACTIVE_STATES),
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
    what: str = "Patient reminder"  # or "Self-report link", "Nurse digest"

    @property
    def failed(self) -> bool:
        return self.outcome != "sent"


def _site_filter(site_id: int | None, patient: Any, nurse: Any) -> list[ColumnElement[bool]]:
    if site_id is None:
        return []
    return [or_(patient.site_id == site_id, nurse.site_id == site_id)]


def delivery_log(session: Session, *, site_id: int | None = None,
                 patient_code: str | None = None, limit: int = 200) -> list[LogLine]:
    """Newest attempts first; ``site_id`` limits it to one site (nurses see their own),
    ``patient_code`` to the e-mails about one patient (its study code, any case)."""
    patient, nurse = aliased(Patient), aliased(User)
    rows = session.exec(
        select(DeliveryAttempt, patient.study_code, StudyTimepoint.label,
               NurseDigest.digest_date)
        .outerjoin(Reminder, col(Reminder.id) == DeliveryAttempt.reminder_id)
        .outerjoin(SelfReportMessage, col(SelfReportMessage.id) == DeliveryAttempt.invitation_id)
        .outerjoin(Assessment, col(Assessment.id) == func.coalesce(
            Reminder.assessment_id, SelfReportMessage.assessment_id))  # the visit e-mailed about
        .outerjoin(StudyTimepoint, col(StudyTimepoint.id) == Assessment.timepoint_id)
        .outerjoin(patient, patient.id == Assessment.patient_id)
        .outerjoin(NurseDigest, col(NurseDigest.id) == DeliveryAttempt.digest_id)
        .outerjoin(nurse, nurse.id == NurseDigest.user_id)
        .where(*_site_filter(site_id, patient, nurse),
               *([patient.study_code == patient_code.strip().upper()] if patient_code else []))
        .order_by(col(DeliveryAttempt.at).desc(), col(DeliveryAttempt.id).desc())
        .limit(limit)).all()
    return [LogLine(a.at, a.channel, _about(code, label, day), a.recipient, a.subject,
                    a.outcome, a.smtp_code, a.error, a.message_id, _what(a))
            for a, code, label, day in rows]


def _what(attempt: DeliveryAttempt) -> str:
    if attempt.digest_id is not None:
        return "Nurse digest"
    return "Self-report link" if attempt.invitation_id is not None else "Patient reminder"


def _about(code: str | None, label: str | None, day: date | None) -> str:
    if code is not None:
        return f"{code} · {label}"
    return f"digest of {day.isoformat()}" if day else ""


# what /reminders lists (and sends again): the URL's word, the model, the Message-ID's word
KINDS: dict[str, tuple[Any, str]] = {"reminder": (Reminder, "reminder"),
                                     "digest": (NurseDigest, "digest"),
                                     "self_report": (SelfReportMessage, "self-report")}
KIND_WORDS = {"reminder": "reminder", "digest": "digest", "self_report": "link e-mail"}


@dataclass(frozen=True)
class AttentionRow:
    kind: str  # a key of KINDS
    row_id: int
    about: str
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    message_id: str
    advice: str  # what staff should check (clinic.reminders.advice)


def _needs_attention(model: Any) -> ColumnElement[bool]:
    """Failed, unknown, retrying, or deferred while the mail server was down."""
    waiting = (model.state == "pending") & or_(col(model.attempts) > 0,
                                               col(model.last_error).is_not(None))
    return or_(col(model.state).in_(ATTENTION_STATES), waiting)


def _attention_row(kind: str, row: Any, about: str, domain: str) -> AttentionRow:
    mid = message_id(KINDS[kind][1], row.id, domain)
    return AttentionRow(kind, row.id, about, row.state, row.attempts, row.last_error,
                        row.next_attempt_at, mid,
                        staff_advice(kind, row.state, row.attempts, row.last_error, mid))


def needing_attention(session: Session, *, site_id: int | None = None,
                      domain: str = "clinic") -> list[AttentionRow]:
    """Failed for good, outcome unknown, retrying or deferred: what staff should look at.

    ``domain`` is the Message-ID domain (the sender's), so the advice can name the
    Message-ID to look for in the mail server's log.
    """
    reminders = session.exec(
        select(Reminder, Patient.study_code, StudyTimepoint.label)
        .join(Assessment, col(Assessment.id) == Reminder.assessment_id)
        .join(StudyTimepoint, col(StudyTimepoint.id) == Assessment.timepoint_id)
        .join(Patient, col(Patient.id) == Assessment.patient_id)
        .where(_needs_attention(Reminder), *([Patient.site_id == site_id] if site_id else []))
        .order_by(col(Reminder.id))).all()
    digests = session.exec(
        select(NurseDigest, User.email).join(User, col(User.id) == NurseDigest.user_id)
        .where(_needs_attention(NurseDigest), *([User.site_id == site_id] if site_id else []))
        .order_by(col(NurseDigest.id))).all()
    links = session.exec(
        select(SelfReportMessage, Patient.study_code, StudyTimepoint.label)
        .join(Assessment, col(Assessment.id) == SelfReportMessage.assessment_id)
        .join(StudyTimepoint, col(StudyTimepoint.id) == Assessment.timepoint_id)
        .join(Patient, col(Patient.id) == Assessment.patient_id)
        .where(_needs_attention(SelfReportMessage),
               *([Patient.site_id == site_id] if site_id else []))
        .order_by(col(SelfReportMessage.id))).all()
    return ([_attention_row("reminder", r, f"{code} · {label} (visit {r.visit_date})", domain)
             for r, code, label in reminders]
            + [_attention_row("self_report", m, f"{code} · {label} ("
                              + ("invitation" if m.step == 0 else f"reminder {m.step}")
                              + " to answer by link)", domain) for m, code, label in links]
            + [_attention_row("digest", d, f"digest of {d.digest_date} to {email}", domain)
               for d, email in digests])


def requeue(session: Session, kind: str, row_id: int, *, checked_not_received: bool = False
            ) -> bool:
    """Staff decision: try a 'failed' row again. An 'unknown' one only once someone has
    checked (the mail server's log) that it was not received: it may have been sent."""
    model = KINDS[kind][0]
    states = ("failed", "unknown") if checked_not_received else ("failed",)
    note = ("sent again on staff request: checked, not received" if checked_not_received
            else "sent again on staff request")
    return change_state(session, model, [col(model.id) == row_id, col(model.state).in_(states)],
                        state="pending", attempts=0, next_attempt_at=None, note=note)


@dataclass(frozen=True)
class UndeliveredNotice:
    """A patient's reminder failed or may not have arrived; the visit is still to come."""

    patient_id: int
    study_code: str
    timepoint: str
    visit_date: date
    state: str  # failed | unknown
    last_error: str | None

    @property
    def advice(self) -> str:
        return nurse_advice(self.state, self.last_error)


def undelivered_reminders(session: Session, *, site_id: int | None = None
                          ) -> list[UndeliveredNotice]:
    """Failed or unknown reminders of follow-ups still to be done (for the nurse digest);
    a row drops off once the follow-up is recorded or marked not done."""
    rows = session.exec(
        select(Patient.id, Patient.study_code, StudyTimepoint.label, Reminder.visit_date,
               Reminder.state, Reminder.last_error)
        .join(Assessment, col(Assessment.id) == Reminder.assessment_id)
        .join(StudyTimepoint, col(StudyTimepoint.id) == Assessment.timepoint_id)
        .join(Patient, col(Patient.id) == Assessment.patient_id)
        .where(col(Reminder.state).in_(ATTENTION_STATES), Assessment.state == "pending",
               *([Patient.site_id == site_id] if site_id else []))
        .order_by(col(Reminder.visit_date), col(Patient.study_code))).all()
    return [UndeliveredNotice(*row) for row in rows]  # type: ignore[arg-type]


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
