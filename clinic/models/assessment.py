"""Scheduled follow-ups and the scores recorded at them."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from clinic.catalog import (
    ASSESSMENT_STATES,
    COLLECTION_MODES,
    MEDICATION_CLASSES,
    SCORE_RANGES,
    SECTION_COUNT,
    SECTION_MAX,
    SECTIONED_INSTRUMENTS,
)
from clinic.models.base import Audited, UTCDateTime, check_in, in_bounds, utcnow

INTEGER_INSTRUMENTS = frozenset({"satisfaction_procedure", "satisfaction_results"})


def _score_range_check() -> CheckConstraint:
    """One CHECK: the instrument is known and its value within that instrument's range."""
    clauses = []
    for code, (low, high) in sorted(SCORE_RANGES.items()):
        parts = [f"instrument = '{code}'", f"value >= {low}"]
        if high is not None:
            parts.append(f"value <= {high}")
        if code in INTEGER_INSTRUMENTS:
            parts.append("value = ROUND(value)")
        clauses.append("(" + " AND ".join(parts) + ")")
    sectioned = ", ".join(f"'{c}'" for c in sorted(SECTIONED_INSTRUMENTS))
    clauses.append(f"(value IS NULL AND instrument IN ({sectioned}))")
    return CheckConstraint(" OR ".join(clauses), name="value_in_range")


class Assessment(Audited, SQLModel, table=True):
    """One scheduled follow-up of one patient at one timepoint of the study."""

    __table_args__ = (
        UniqueConstraint("patient_id", "timepoint_id"),
        # the worklist: pending visits by target date, one call group at a time
        Index("ix_assessment_state_target", "state", "target_date"),
        # a patient's next pending visit (the patient list), without walking every
        # pending visit of the registry through the index above
        Index("ix_assessment_patient_state_target", "patient_id", "state", "target_date"),
        check_in("state", ASSESSMENT_STATES, "state_known"),
        check_in("mode", COLLECTION_MODES, "mode_known", nullable=True),
        CheckConstraint("window_open <= target_date AND target_date <= window_close",
                        name="window_order"),
        CheckConstraint(
            "state <> 'not_done' OR (not_done_reason IS NOT NULL AND not_done_reason <> '')",
            name="not_done_has_reason",
        ),
        CheckConstraint("state <> 'completed' OR completed_at IS NOT NULL",
                        name="completed_has_time"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    timepoint_id: int = Field(foreign_key="study_timepoint.id", index=True)
    procedure_id: int | None = Field(default=None, foreign_key="procedure.id")  # anchor
    target_date: date = Field(index=True)
    window_open: date
    window_close: date = Field(index=True)
    state: str = Field(default="pending", max_length=20)
    not_done_reason: str | None = Field(default=None, max_length=500)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    mode: str | None = Field(default=None, max_length=20)
    # The day of the visit (the paper form's date), in the clinic's time zone: windows,
    # "out of window" and the reports use it; completed_at is when it was entered.
    visit_on: date | None = None
    # Why an outcome the protocol asks for at this visit was not collected.
    missing_reason: str | None = Field(default=None, max_length=500)
    version: int = Field(default=1)


class Score(Audited, SQLModel, table=True):
    """The value of one instrument at one assessment, and how it was collected."""

    # its events name the visit, so that a score removed by a correction stays in the
    # patient's record history (found by the visit); it keeps a history section of its own
    __audit_parent__ = ("assessment", "assessment_id")

    __table_args__ = (
        UniqueConstraint("assessment_id", "instrument"),
        _score_range_check(),
        check_in("mode", COLLECTION_MODES, "mode_known"),
        CheckConstraint(
            f"answered IS NULL OR (answered >= 0 AND answered <= {SECTION_COUNT})",
            name="answered_range",
        ),
        CheckConstraint(
            f"raw_sum IS NULL OR (raw_sum >= 0 AND raw_sum <= {SECTION_COUNT * SECTION_MAX})",
            name="raw_sum_range",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True, ondelete="CASCADE")
    instrument: str = Field(max_length=40)
    value: float | None = None  # the total (ODI/NDI %), scale value, or quantity
    raw_sum: int | None = None  # sectioned instruments: sum of section scores
    answered: int | None = None  # sectioned instruments: sections answered
    not_computable_reason: str | None = Field(default=None, max_length=300)
    mode: str = Field(max_length=20)
    collected_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    collected_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Sections are read with clinic.followup.editing.sections_of and written with their
    # score (clinic.followup.service._store); deleting a score leaves its sections to the
    # database's ON DELETE CASCADE.


class ScoreSection(Audited, SQLModel, table=True):
    __tablename__ = "score_section"
    __audit_parent__ = ("score", "score_id")
    __table_args__ = (
        UniqueConstraint("score_id", "section"),
        CheckConstraint(f"section >= 1 AND section <= {SECTION_COUNT}", name="section_range"),
        CheckConstraint(f"value >= 0 AND value <= {SECTION_MAX}", name="value_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    score_id: int = Field(foreign_key="score.id", index=True, ondelete="CASCADE")
    section: int
    value: int


class Medication(Audited, SQLModel, table=True):
    """A medication taken around an assessment (opioids feed oral morphine equivalents)."""

    __audit_parent__ = ("assessment", "assessment_id")
    __table_args__ = (
        check_in("med_class", MEDICATION_CLASSES, "class_known"),
        CheckConstraint("daily_dose_mg >= 0", name="dose_non_negative"),
        *in_bounds("daily_dose_mg"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True, ondelete="CASCADE")
    med_class: str = Field(max_length=20)
    drug: str = Field(max_length=60)
    daily_dose_mg: float
