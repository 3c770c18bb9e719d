"""Locks on recorded data: a visit, a patient, or the whole study (the database lock
before analysis). A lock row exists while the lock holds; unlocking deletes it, and
both are audited like any clinical change (with the unlock's coded reason)."""

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from clinic.catalog import LOCK_LEVELS
from clinic.models.base import Audited, UTCDateTime, check_in, utcnow


class RecordLock(Audited, SQLModel, table=True):
    __tablename__ = "record_lock"
    __table_args__ = (
        check_in("level", LOCK_LEVELS, "level_known"),
        CheckConstraint("(level = 'study') = (patient_id IS NULL)", name="study_has_no_patient"),
        CheckConstraint("(level = 'visit') = (assessment_id IS NOT NULL)",
                        name="visit_has_assessment"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # "study:3", "patient:17", "visit:204": one lock per record, found by this key
    target: str = Field(max_length=40, unique=True, index=True)
    level: str = Field(max_length=10)
    study_id: int = Field(foreign_key="study.id", index=True)
    patient_id: int | None = Field(default=None, foreign_key="patient.id")
    assessment_id: int | None = Field(default=None, foreign_key="assessment.id")
    locked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_by_id: int | None = Field(default=None, foreign_key="app_user.id")
