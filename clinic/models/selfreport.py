"""Self-report: the messages of a visit's reminder ladder, the patient's answers so far,
and what happened on the patient's pages.

``self_report_message`` rows are delivered like reminders (see clinic.reminders): one
row per visit and ladder step (UNIQUE), claimed, sent and marked by conditional
UPDATEs. Each sent message carries its own link; only the SHA-256 of the link's token
is stored (``token_hash``), written before the e-mail leaves.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from clinic.models.base import UTCDateTime, check_in, utcnow
from clinic.models.reminders import DELIVERY_STATES

SELF_REPORT_EVENTS = {
    "opened": "Opened the link",
    "started": "Answered a first question",
    "check_failed": "Wrong date of birth",
    "locked": "Locked after wrong dates of birth",
    "submitted": "Sent the answers",
    "refused": "Opened a link that no longer works",
}


class SelfReportMessage(SQLModel, table=True):
    """One e-mail of a visit's ladder (step 0: the invitation); never sent twice."""

    __tablename__ = "self_report_message"
    __table_args__ = (
        UniqueConstraint("assessment_id", "step"),
        check_in("state", DELIVERY_STATES, "state_known"),
        CheckConstraint("step >= 0", name="step_non_negative"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("state <> 'sending' OR claim_token IS NOT NULL", name="sending_claimed"),
        CheckConstraint("state <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True, ondelete="CASCADE")
    step: int
    send_on: date = Field(index=True)  # clinic-local day from which it may go out
    state: str = Field(default="pending", max_length=20, index=True)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=1000)
    note: str | None = Field(default=None, max_length=300)
    claim_token: str | None = Field(default=None, max_length=40)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SelfReport(SQLModel, table=True):
    """The patient's side of one visit: answers so far (never study data until sent),
    when the link was first opened, the first answer, the submission, and the
    date-of-birth check's failures and lock."""

    __tablename__ = "self_report"
    __table_args__ = (
        CheckConstraint("failed_checks >= 0", name="failed_checks_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", unique=True, ondelete="CASCADE")
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_checks: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1)


class SelfReportEvent(SQLModel, table=True):
    """What happened on the patient's pages, for the staff (never the token)."""

    __tablename__ = "self_report_event"
    __table_args__ = (check_in("kind", SELF_REPORT_EVENTS, "kind_known"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True, ondelete="CASCADE")
    message_id: int | None = Field(default=None, foreign_key="self_report_message.id",
                                   ondelete="SET NULL")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    kind: str = Field(max_length=20)
    address: str | None = Field(default=None, max_length=45)
