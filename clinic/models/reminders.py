"""Reminders as rows: patient visit reminders, nurse digests, every delivery attempt.

The unique constraints are the at-most-once rule (one patient reminder per assessment
and kind, one digest per nurse and day); the state machine and the claim protocol
are described in :mod:`clinic.reminders`.
"""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from clinic.models.base import UTCDateTime, check_in, utcnow

REMINDER_KINDS = {"patient_visit": "Patient visit reminder"}
DELIVERY_STATES = {
    "pending": "Pending",
    "sending": "Sending",
    "sent": "Sent",
    "failed": "Failed",
    "unknown": "Outcome unknown",
    "cancelled": "Cancelled",
}
ATTEMPT_OUTCOMES = {
    "sent": "Sent",
    "refused": "Refused by the mail server",
    "error": "Not delivered (error)",
    "unknown": "Outcome unknown",
}
CHANNELS = {"patient_visit": "Patient visit reminder", "nurse_digest": "Nurse digest",
            "self_report": "Self-report invitation or reminder"}
ONE_SOURCE = ("(CASE WHEN reminder_id IS NULL THEN 0 ELSE 1 END"
              " + CASE WHEN digest_id IS NULL THEN 0 ELSE 1 END"
              " + CASE WHEN invitation_id IS NULL THEN 0 ELSE 1 END) = 1")


class Reminder(SQLModel, table=True):
    """One e-mail to a patient about one assessment; never sent twice (UNIQUE)."""

    __table_args__ = (
        UniqueConstraint("assessment_id", "kind"),
        check_in("kind", REMINDER_KINDS, "kind_known"),
        check_in("state", DELIVERY_STATES, "state_known"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("state <> 'sending' OR claim_token IS NOT NULL", name="sending_claimed"),
        CheckConstraint("state <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        # the daily pass and the sender read the pending rows whose day has come
        Index("ix_reminder_state_send_on", "state", "send_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="patient_visit", max_length=20)
    assessment_id: int = Field(foreign_key="assessment.id", index=True, ondelete="CASCADE")
    visit_date: date  # the assessment's target date the e-mail announces
    send_on: date = Field(index=True)  # clinic-local day from which it may go out
    state: str = Field(default="pending", max_length=20, index=True)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=1000)
    note: str | None = Field(default=None, max_length=300)  # why cancelled / re-planned
    claim_token: str | None = Field(default=None, max_length=40)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NurseDigest(SQLModel, table=True):
    """One daily e-mail to one nurse: due and overdue follow-ups at the nurse's site."""

    __tablename__ = "nurse_digest"
    __table_args__ = (
        UniqueConstraint("user_id", "digest_date"),
        check_in("state", DELIVERY_STATES, "state_known"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("state <> 'sending' OR claim_token IS NOT NULL", name="sending_claimed"),
        CheckConstraint("state <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    digest_date: date = Field(index=True)
    state: str = Field(default="pending", max_length=20, index=True)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=1000)
    summary: str | None = Field(default=None, max_length=300)  # e.g. "2 due, 1 overdue"
    note: str | None = Field(default=None, max_length=300)  # why cancelled
    claim_token: str | None = Field(default=None, max_length=40)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeliveryAttempt(SQLModel, table=True):
    """The delivery log: one row per attempt to hand an e-mail to the SMTP server."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (
        check_in("channel", CHANNELS, "channel_known"),
        check_in("outcome", ATTEMPT_OUTCOMES, "outcome_known"),
        CheckConstraint(ONE_SOURCE, name="one_source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    channel: str = Field(max_length=20)
    reminder_id: int | None = Field(default=None, foreign_key="reminder.id", index=True,
                                    ondelete="CASCADE")
    digest_id: int | None = Field(default=None, foreign_key="nurse_digest.id", index=True,
                                  ondelete="CASCADE")
    invitation_id: int | None = Field(default=None, foreign_key="self_report_message.id",
                                      index=True, ondelete="CASCADE")
    attempt: int
    recipient: str | None = Field(default=None, max_length=254)
    subject: str | None = Field(default=None, max_length=300)
    message_id: str | None = Field(default=None, max_length=200)
    outcome: str = Field(max_length=20)
    smtp_code: int | None = None
    error: str | None = Field(default=None, max_length=1000)


class SchedulerLease(SQLModel, table=True):
    """Who runs the scheduler: one live lease per name, renewed while the process lives."""

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=120)
    acquired_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
