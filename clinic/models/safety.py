"""Adverse events."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from clinic.catalog import ADVERSE_EVENT_TYPES, SEVERITIES
from clinic.models.base import Audited, UTCDateTime, check_in, utcnow


class AdverseEvent(Audited, SQLModel, table=True):
    __tablename__ = "adverse_event"
    __table_args__ = (
        check_in("event_type", ADVERSE_EVENT_TYPES, "type_known"),
        check_in("severity", SEVERITIES, "severity_known"),
        CheckConstraint("resolved_on IS NULL OR resolved_on >= onset_on", name="resolved_after"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    procedure_id: int | None = Field(default=None, foreign_key="procedure.id")
    assessment_id: int | None = Field(default=None, foreign_key="assessment.id", index=True)
    event_type: str = Field(max_length=40)
    onset_on: date
    severity: str = Field(max_length=20)
    is_related: bool = Field(default=True)
    is_resolved: bool = Field(default=False)
    resolved_on: date | None = None
    notes: str | None = Field(default=None, max_length=2000)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1)
