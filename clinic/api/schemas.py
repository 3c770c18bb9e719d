"""The API's request and response bodies. The OpenAPI document is generated from these
same models (clinic.api.openapi), and requests are parsed with them before the services
validate the content, exactly as for the forms."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Entry = int | float | str | dict[str, int | None] | None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    message: str
    errors: dict[str, str] = Field(default_factory=dict, description="field → message")


class PatientOut(BaseModel):
    id: int
    study_code: str
    site: str
    arm: str | None
    enrollment_status: str | None
    sex: str
    age_at_enrollment: int | None
    birth_year: int | None
    bmi: float | None
    diagnosis: str | None
    symptom_duration_months: float | None
    version: int


class PatientPatch(Strict):
    version: int = Field(description="The version read; a changed record gives 409.")
    reason: str = Field(description="Why the data is changed (kept in the audit trail).")
    sex: str | None = None
    age_at_enrollment: int | None = None
    birth_year: int | None = None
    bmi: float | None = None
    diagnosis: str | None = None
    symptom_duration_months: float | None = None


class TargetIn(Strict):
    level: str
    side: str


class InjectateIn(Strict):
    drug: str
    concentration_pct: float | None = None
    volume_ml: float | None = None
    dose_mg: float | None = None


class ProcedureIn(Strict):
    performed_at: AwareDatetime
    modality: str
    procedure_type: str
    punctures: int
    targets: list[TargetIn] = Field(default_factory=list)
    injectates: list[InjectateIn] = Field(default_factory=list)
    contrast_volume_ml: float | None = None
    contrast_extravasation: bool | None = None
    rf_temperature_c: float | None = None
    rf_frequency_hz: float | None = None
    rf_pulse_width_ms: float | None = None
    rf_duration_s: float | None = None
    dap_mgy_cm2: float | None = Field(None, description="Fluoroscopy, DSA, cone-beam CT only")
    fluoroscopy_time_s: float | None = Field(None, description="Fluoroscopy, DSA, CBCT only")
    ctdivol_mgy: float | None = Field(None, description="CT only")
    dlp_mgy_cm: float | None = Field(None, description="CT only")
    operative_time_min: float | None = None
    first_attempt_success: bool | None = None
    needle_repositions: int | None = None
    notes: str | None = None
    confirm_warnings: bool = Field(False, description="Save despite plausibility warnings")


class ProcedureEdit(ProcedureIn):
    """The whole procedure as it should read; omitted optional fields become empty."""

    version: int = Field(description="The version read; a changed record gives 409.")
    reason: str = Field(description="Why the record is corrected (kept in the audit trail).")


class ProcedureOut(ProcedureIn):
    model_config = ConfigDict(extra="ignore")
    id: int
    patient_id: int
    version: int
    warnings: list[str] = Field(default_factory=list)


class ScoreOut(BaseModel):
    instrument: str
    value: float | None
    raw_sum: int | None = None
    answered: int | None = None
    not_computable_reason: str | None = None
    sections: dict[str, int] = Field(default_factory=dict)
    mode: str


class MedicationIn(Strict):
    med_class: str = Field(description="opioid, nsaid or gabapentinoid")
    drug: str
    daily_dose_mg: float


class AdverseEventIn(Strict):
    event_type: str = Field(description="A complication type of the catalog, e.g. hematoma")
    onset_on: date
    severity: str = Field(description="mild, moderate or severe")
    is_related: bool = True
    notes: str | None = None


class AdverseEventOut(AdverseEventIn):
    model_config = ConfigDict(extra="ignore")
    id: int
    patient_id: int
    procedure_id: int | None
    assessment_id: int | None
    is_resolved: bool
    resolved_on: date | None
    version: int


class AdverseEventEdit(Strict):
    """The event's follow-up as it should read; the type and onset stay as recorded."""

    version: int = Field(description="The version read; a changed record gives 409.")
    reason: str = Field(description="Why the event is updated (kept in the audit trail).")
    severity: str = Field(description="mild, moderate or severe")
    is_related: bool
    resolved_on: date | None = Field(None, description="Empty: not resolved (yet)")
    notes: str | None = None


class AssessmentOut(BaseModel):
    id: int
    patient_id: int
    timepoint: str
    target_date: date
    window_open: date
    window_close: date
    state: str
    status: str
    mode: str | None
    not_done_reason: str | None
    completed_at: datetime | None
    version: int
    measures: list[str]
    scores: list[ScoreOut] = Field(default_factory=list)
    medications: list[MedicationIn] = Field(default_factory=list)
    adverse_events: list[AdverseEventOut] = Field(
        default_factory=list, description="Adverse events recorded at this follow-up")


class _Scores(Strict):
    version: int
    mode: str = Field(description="in_clinic, phone or self_report")
    entries: dict[str, Entry] = Field(
        description="instrument → value: a number (VAS, NRS, quantities), a level code "
                    "(satisfaction), or section code → 0-5 (ODI, NDI)")


class ScoresIn(_Scores):
    """A follow-up as the entry form records it: scores, medication, an adverse event."""

    medications: list[MedicationIn] = Field(default_factory=list)
    adverse_event: AdverseEventIn | None = None


class ScoresEdit(_Scores):
    reason: str


class NotDoneIn(Strict):
    version: int
    reason: str


REQUEST_MODELS = (PatientPatch, ProcedureIn, ScoresIn, ScoresEdit, NotDoneIn, AdverseEventEdit)
RESPONSE_MODELS = (ErrorOut, PatientOut, ProcedureOut, AssessmentOut, AdverseEventOut)
