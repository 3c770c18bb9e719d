"""An image-guided procedure, its targets and its injectates."""

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from clinic.catalog import (
    DRUGS,
    LEVELS,
    MODALITIES,
    MODALITIES_WITH_CT_DOSE,
    MODALITIES_WITH_DAP,
    PROCEDURE_TYPES,
    SIDES,
)
from clinic.models.base import (
    Audited,
    UTCDateTime,
    check_in,
    in_bounds,
    non_negative,
    utcnow,
)


def _only_for(modalities: frozenset[str], columns: tuple[str, ...], name: str) -> CheckConstraint:
    listed = ", ".join(f"'{m}'" for m in sorted(modalities))
    empty = " AND ".join(f"{c} IS NULL" for c in columns)
    return CheckConstraint(f"modality IN ({listed}) OR ({empty})", name=name)


class Procedure(Audited, SQLModel, table=True):
    __table_args__ = (
        check_in("modality", MODALITIES, "modality_known"),
        check_in("procedure_type", PROCEDURE_TYPES, "type_known"),
        CheckConstraint("punctures >= 1 AND punctures <= 20", name="punctures_range"),
        _only_for(MODALITIES_WITH_DAP, ("dap_mgy_cm2", "fluoroscopy_time_s"), "dap_modality"),
        _only_for(MODALITIES_WITH_CT_DOSE, ("ctdivol_mgy", "dlp_mgy_cm"), "ct_dose_modality"),
        CheckConstraint(
            "rf_temperature_c IS NULL OR (rf_temperature_c >= 0 AND rf_temperature_c <= 95)",
            name="rf_temperature_range",
        ),
        *non_negative(
            "contrast_volume_ml", "rf_frequency_hz", "rf_pulse_width_ms", "rf_duration_s",
            "dap_mgy_cm2", "fluoroscopy_time_s", "ctdivol_mgy", "dlp_mgy_cm",
            "operative_time_min", "needle_repositions",
        ),
        *in_bounds(
            "contrast_volume_ml", "rf_frequency_hz", "rf_pulse_width_ms", "rf_duration_s",
            "dap_mgy_cm2", "fluoroscopy_time_s", "ctdivol_mgy", "dlp_mgy_cm",
            "operative_time_min", "needle_repositions",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    performed_at: datetime = Field(sa_type=UTCDateTime, index=True)
    modality: str = Field(max_length=20)
    procedure_type: str = Field(max_length=30)
    operator_id: int | None = Field(default=None, foreign_key="app_user.id")
    punctures: int
    contrast_volume_ml: float | None = None
    contrast_extravasation: bool | None = None
    rf_temperature_c: float | None = None
    rf_frequency_hz: float | None = None
    rf_pulse_width_ms: float | None = None
    rf_duration_s: float | None = None
    dap_mgy_cm2: float | None = None  # fluoroscopy, DSA, cone-beam CT
    fluoroscopy_time_s: float | None = None
    ctdivol_mgy: float | None = None  # CT
    dlp_mgy_cm: float | None = None  # CT
    operative_time_min: float | None = None  # skin localization to needle removal
    first_attempt_success: bool | None = None
    needle_repositions: int | None = None
    notes: str | None = Field(default=None, max_length=2000)
    # Why it was done against the protocol (another modality than the allocated arm's,
    # a dose not recorded), given when the deviation was confirmed at entry.
    deviation_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1)


class ProcedureTarget(Audited, SQLModel, table=True):
    __tablename__ = "procedure_target"
    __audit_parent__ = ("procedure", "procedure_id")
    __table_args__ = (
        check_in("level", LEVELS, "level_known"),
        check_in("side", SIDES, "side_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    procedure_id: int = Field(foreign_key="procedure.id", index=True, ondelete="CASCADE")
    level: str = Field(max_length=10)
    side: str = Field(max_length=10)


class Injectate(Audited, SQLModel, table=True):
    __audit_parent__ = ("procedure", "procedure_id")
    __table_args__ = (
        check_in("drug", DRUGS, "drug_known"),
        CheckConstraint(
            "concentration_pct IS NULL OR (concentration_pct >= 0 AND concentration_pct <= 100)",
            name="concentration_range",
        ),
        *non_negative("volume_ml", "dose_mg"),
        *in_bounds("volume_ml", "dose_mg"),
    )

    id: int | None = Field(default=None, primary_key=True)
    procedure_id: int = Field(foreign_key="procedure.id", index=True, ondelete="CASCADE")
    target_id: int | None = Field(default=None, foreign_key="procedure_target.id",
                                  ondelete="SET NULL")
    drug: str = Field(max_length=40)
    concentration_pct: float | None = None
    volume_ml: float | None = None
    dose_mg: float | None = None
