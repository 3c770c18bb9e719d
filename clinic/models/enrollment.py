"""Screening, the concealed allocation sequence, and enrollment."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from clinic.catalog import ENROLLMENT_STATUSES
from clinic.models.base import Audited, UTCDateTime, check_in, utcnow


class Screening(Audited, SQLModel, table=True):
    """One screening of a candidate against a study's eligibility checklist."""

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    site_id: int = Field(foreign_key="site.id")
    screened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    screened_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    is_eligible: bool
    patient_id: int | None = Field(default=None, foreign_key="patient.id", unique=True)


class ScreeningAnswer(Audited, SQLModel, table=True):
    __tablename__ = "screening_answer"
    __audit_parent__ = ("screening", "screening_id")
    __table_args__ = (UniqueConstraint("screening_id", "criterion_id"),)

    id: int | None = Field(default=None, primary_key=True)
    screening_id: int = Field(foreign_key="screening.id", index=True, ondelete="CASCADE")
    criterion_id: int = Field(foreign_key="eligibility_criterion.id", index=True)
    answer: bool | None = None  # None: not answered


class AllocationSlot(SQLModel, table=True):
    """One place in the concealed sequence. Visible to admins only."""

    __tablename__ = "allocation_slot"
    __table_args__ = (UniqueConstraint("study_id", "stratum", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    stratum: str = Field(max_length=60)
    position: int
    block_index: int
    block_size: int
    arm_id: int = Field(foreign_key="study_arm.id")


class Enrollment(Audited, SQLModel, table=True):
    __table_args__ = (
        check_in("status", ENROLLMENT_STATUSES, "status_known"),
        CheckConstraint(
            "status <> 'withdrawn' OR (withdrawal_reason IS NOT NULL AND withdrawal_reason <> '')",
            name="withdrawal_has_reason",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", unique=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    # randomized: the allocated arm; registry: the group of the index procedure's modality
    # (None until that procedure is recorded, or when its modality is none of the groups)
    arm_id: int | None = Field(default=None, foreign_key="study_arm.id", index=True)
    stratum: str = Field(max_length=60)
    allocation_slot_id: int | None = Field(default=None, foreign_key="allocation_slot.id",
                                           unique=True)
    enrolled_on: date
    randomized_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    randomized_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    status: str = Field(default="enrolled", max_length=20)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawal_reason: str | None = Field(default=None, max_length=500)
    consent_on: date | None = None  # informed consent: the date signed
    consent_version: str | None = Field(default=None, max_length=40)  # version of the form
    consent_taken_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    version: int = Field(default=1)
