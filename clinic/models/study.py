"""A study's protocol, stored as data: arms, timepoints, measures, eligibility, strata.

Every change of these rows is audited like clinical data (the study's activation,
closing, a builder's save, an amendment), with the study as parent; amendments also
keep the whole protocol before and after."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from clinic.catalog import (
    CRITERION_KINDS,
    DEFAULT_CAPPED_STEROID,
    MODALITIES,
    SCORE_RANGES,
    STEROIDS,
    STUDY_STATUSES,
)
from clinic.models.base import Audited, UTCDateTime, check_in, in_bounds, utcnow
from clinic.protocol.definition import DESIGN_TYPES


class Study(Audited, SQLModel, table=True):
    # the allocation sequence is concealed: its seed never enters an audit row
    __audit_secret_fields__ = frozenset({"randomization_seed"})
    __audit_skip_fields__ = frozenset({"measures_revision"})  # (a counter, not the protocol)
    __table_args__ = (
        check_in("status", STUDY_STATUSES, "status_known"),
        check_in("design_type", DESIGN_TYPES, "design_type_known"),
        CheckConstraint("steroid_cap_mg IS NULL OR steroid_cap_mg >= 0", name="cap_non_negative"),
        *in_bounds("steroid_cap_mg"),
        check_in("capped_steroid", STEROIDS, "capped_steroid_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=20)  # short code, e.g. DEMO
    title: str = Field(max_length=300)
    design: str = Field(max_length=300)
    status: str = Field(default="recruiting", max_length=20)
    is_synthetic: bool = Field(default=False)
    steroid_cap_mg: float | None = None  # per-patient steroid cap (seed trial: 80 mg)
    # the steroid the cap counts (catalog.STEROIDS; seed trial: methylprednisolone acetate)
    capped_steroid: str = Field(default=DEFAULT_CAPPED_STEROID, max_length=40,
                                sa_column_kwargs={"server_default": DEFAULT_CAPPED_STEROID})
    # Stratification factors as data: [{"factor": "punctures", "bins": [[1, 2], ...]}]
    strata_rules: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    randomization_seed: int | None = None
    block_multipliers: list[int] = Field(default_factory=lambda: [1, 2, 3], sa_column=Column(JSON))
    sequence_generated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # randomized trial, or registry (no allocation: the group is the index modality)
    design_type: str = Field(default="randomized", max_length=20)
    consent_version: str | None = Field(default=None, max_length=40)  # current consent form
    # registry: {"treated": arm code, "covariates": [...], "caliper_sd": 0.2 | null}
    matching: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    protocol_version: int = Field(default=1)  # 1 + the number of amendments
    # drawn anew (a random number) by the database, a trigger, at every change of the
    # study's measures: the key under which a process keeps its measure rules
    # (clinic.followup.service); 0: never any measure
    measures_revision: int = Field(default=0, sa_type=BigInteger,
                                   sa_column_kwargs={"server_default": "0"})
    # patients answer follow-ups by link: {"reminder_days": [0, 3, 7], "call_after_days":
    # 10, "second_factor": "none"} (clinic.selfreport.ladder.LadderSpec); None: off
    self_report: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # the nerve roots whose laterality enrollment asks, e.g. ["C5", "C6", "C7"];
    # None (studies made before they were set): the seed trial's L3, L4, L5
    roots: list[str] | None = Field(default=None, sa_column=Column(JSON))


class StudyArm(Audited, SQLModel, table=True):
    __tablename__ = "study_arm"
    __audit_parent__ = ("study", "study_id")
    __table_args__ = (
        UniqueConstraint("study_id", "code"),
        check_in("modality", MODALITIES, "modality_known"),
        CheckConstraint("allocation_ratio >= 1", name="ratio_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    code: str = Field(max_length=20)  # e.g. "A"
    label: str = Field(max_length=200)  # e.g. "Group A: fluoroscopy-guided"
    modality: str = Field(max_length=20)
    allocation_ratio: int = Field(default=1)
    position: int = Field(default=0)


class StudyTimepoint(Audited, SQLModel, table=True):
    """A follow-up timepoint: an offset in days from the procedure, with its window.

    The baseline is planned on the enrollment date until the procedure is recorded,
    then re-anchored on the procedure date (see clinic.scheduling.windows).
    """

    __tablename__ = "study_timepoint"
    __audit_parent__ = ("study", "study_id")
    __table_args__ = (
        UniqueConstraint("study_id", "code"),
        CheckConstraint("window_before_days >= 0 AND window_after_days >= 0", name="window_sane"),
    )

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    code: str = Field(max_length=20)  # e.g. "m1"
    label: str = Field(max_length=100)  # e.g. "1 month"
    offset_days: int
    window_before_days: int = Field(default=0)
    window_after_days: int = Field(default=0)
    is_baseline: bool = Field(default=False)
    position: int = Field(default=0)


class StudyMeasure(Audited, SQLModel, table=True):
    """An outcome measure the study collects, and at which timepoints (None: all)."""

    __tablename__ = "study_measure"
    __audit_parent__ = ("study", "study_id")
    __table_args__ = (
        UniqueConstraint("study_id", "instrument"),
        check_in("instrument", SCORE_RANGES, "instrument_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    instrument: str = Field(max_length=40)
    timepoint_codes: list[str] | None = Field(default=None, sa_column=Column(JSON))
    position: int = Field(default=0)
    # only for patients whose stratum holds one of these bin codes (None: everyone)
    strata: list[str] | None = Field(default=None, sa_column=Column(JSON))
    response_categories: bool = Field(default=False)  # NRS/VAS weighted value vs baseline
    # timepoint code -> when an amendment added it (ISO time): a visit completed before
    # that is not asked for this measure afterwards
    added_at: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))


class EligibilityCriterion(Audited, SQLModel, table=True):
    __tablename__ = "eligibility_criterion"
    __audit_parent__ = ("study", "study_id")
    __table_args__ = (
        UniqueConstraint("study_id", "code"),
        check_in("kind", CRITERION_KINDS, "kind_known"),
        *in_bounds("age_at_least", "age_at_most"),
    )

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    code: str = Field(max_length=40)
    kind: str = Field(max_length=20)
    text: str = Field(max_length=500)
    position: int = Field(default=0)
    # inclusion only: the ages (years at enrollment) it admits, checked at enrollment
    age_at_least: int | None = None
    age_at_most: int | None = None


class ProtocolAmendment(Audited, SQLModel, table=True):
    """A change of an active study's protocol: numbered, with a reason, the protocol
    before and after, and a summary listed in the report's methods."""

    __tablename__ = "protocol_amendment"
    __table_args__ = (UniqueConstraint("study_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    number: int
    made_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    made_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    reason: str = Field(max_length=500)
    summary: str = Field(max_length=2000)
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    after: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
