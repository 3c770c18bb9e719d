"""Data queries: a question on one recorded value, and the steps of its answer.

A query names its value by table, row and field (``score`` 812 ``value``). Queries
raised by a rule carry the rule's code and a key (rule, table, row, field) that is
unique, so no rule ever raises the same query twice, whatever runs it.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from clinic.catalog import QUERY_STATES, QUERY_STEPS, QUERY_TARGETS
from clinic.models.base import Audited, UTCDateTime, check_in, utcnow


class DataQuery(Audited, SQLModel, table=True):
    __tablename__ = "data_query"
    __table_args__ = (
        check_in("status", QUERY_STATES, "status_known"),
        check_in("target_table", QUERY_TARGETS, "target_known"),
        CheckConstraint("(rule IS NULL) = (rule_key IS NULL)", name="rule_has_key"),
        # open queries of a patient (every screen), and the open ones of a site
        Index("ix_data_query_patient_status", "patient_id", "status"),
        Index("ix_data_query_status_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    patient_id: int = Field(foreign_key="patient.id")
    assessment_id: int | None = Field(default=None, foreign_key="assessment.id")
    target_table: str = Field(max_length=20)
    target_id: int
    field: str = Field(max_length=40)
    label: str = Field(max_length=200)  # the value's name: "VAS at Week 1"
    value_when_raised: str | None = Field(default=None, max_length=200)
    text: str = Field(max_length=1000)
    status: str = Field(default="open", max_length=10)
    rule: str | None = Field(default=None, max_length=40)
    rule_key: str | None = Field(default=None, max_length=120, unique=True)
    raised_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    raised_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class DataQueryStep(Audited, SQLModel, table=True):
    """raised, answered, closed or reopened: who, when, and what they wrote."""

    __tablename__ = "data_query_step"
    __audit_parent__ = ("data_query", "query_id")
    __table_args__ = (check_in("step", QUERY_STEPS, "step_known"),)

    id: int | None = Field(default=None, primary_key=True)
    query_id: int = Field(foreign_key="data_query.id", index=True, ondelete="CASCADE")
    step: str = Field(max_length=10)
    text: str | None = Field(default=None, max_length=1000)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
