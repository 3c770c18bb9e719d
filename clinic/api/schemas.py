"""The API's request and response bodies. The OpenAPI document is generated from these
same models (clinic.api.openapi), and requests are parsed with them before the services
validate the content, exactly as for the forms.

Every field is bounded here, so the schema tells a client what is accepted: codes are
enums from the catalog, numbers carry the plausible ranges of ``catalog.NUMBER_BOUNDS``
and are finite (no Infinity/NaN), integers fit an INTEGER column, text has the column's
length, and unknown fields are refused.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from annotated_types import Interval
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    create_model,
)
from pydantic import Strict as StrictValue

from clinic import catalog
from clinic.catalog import DATE_MAX, DATE_MIN, INT_MAX, NUMBER_BOUNDS
from clinic.scoring.instruments import INSTRUMENTS, InstrumentKind

MAX_ROWS = 20  # targets, injectates, medications per request: more than any form offers


def _codes(mapping: Any) -> Any:
    return Literal[tuple(mapping)]  # an enum in the schema


Modality = _codes(catalog.MODALITIES)
ProcedureType = _codes(catalog.PROCEDURE_TYPES)
Level = _codes(catalog.LEVELS)
Side = _codes(catalog.SIDES)
Drug = _codes(catalog.DRUGS)
Sex = _codes(catalog.SEXES)
Severity = _codes(catalog.SEVERITIES)
AdverseEventType = _codes(catalog.ADVERSE_EVENT_TYPES)
MedicationClass = _codes(catalog.MEDICATION_CLASSES)
CollectionMode = _codes(catalog.COLLECTION_MODES)
Root = _codes(catalog.NERVE_ROOTS)
LateralityOrNone = Literal[(*catalog.LATERALITY, "")]  # "": not recorded
Version = Annotated[int, Field(ge=0, le=INT_MAX, strict=True,
                               description="The version read; a changed record gives 409.")]
Reason = Annotated[str, Field(min_length=3, max_length=500,
                              description="Why (kept in the audit trail).")]


def bounded(name: str, integer: bool = False, description: str | None = None) -> Any:
    """A number within catalog.NUMBER_BOUNDS, sent as a JSON number (not text, not
    true/false)."""
    low, high = NUMBER_BOUNDS[name]
    if integer:
        return Annotated[int, Field(ge=int(low), le=int(high), strict=True,
                                    description=description)]
    return Annotated[float, Field(ge=low, le=high, allow_inf_nan=False, strict=True,
                                  description=description)]


def _iso_text(value: Any) -> Any:
    """Dates come as ISO 8601 text: a number would be read as seconds since 1970, and an
    empty or padded text got pydantic's 'input is too short' (or 'too long')."""
    if isinstance(value, date) or (isinstance(value, str) and ISO_START.match(value)):
        return value
    raise ValueError("send the date as ISO 8601 text, e.g. 2026-12-03 or "
                     "2026-12-03T09:30:00+01:00 (or leave the field out)")


ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}(?:$|T\d)")


def _empty_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _in_calendar(value: Any) -> Any:
    day = value.date() if isinstance(value, datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValueError(f"the date must lie from {DATE_MIN:%Y} to {DATE_MAX:%Y}")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_text), AfterValidator(_in_calendar)]
IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_in_calendar)]


def text(length: int, description: str | None = None) -> Any:
    return Annotated[str, Field(max_length=length, description=description)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


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
    root_laterality: dict[str, str] | None = Field(
        default=None, description="Radicular laterality by nerve root (one patient's "
                                  "answers only: a list leaves it out).")


class PatientPatch(Strict):
    version: Version
    reason: Reason
    sex: Sex | None = None
    age_at_enrollment: bounded("age_at_enrollment", integer=True) | None = None
    birth_year: bounded("birth_year", integer=True) | None = None
    bmi: bounded("bmi") | None = None
    diagnosis: text(300) | None = None
    symptom_duration_months: bounded("symptom_duration_months") | None = None
    root_laterality: dict[Root, LateralityOrNone] | None = Field(
        default=None, max_length=len(catalog.NERVE_ROOTS),
        description="Laterality by nerve root the study asks; \"\" removes one.")


class TargetIn(Strict):
    level: Level
    side: Side


class InjectateIn(Strict):
    drug: Drug
    concentration_pct: bounded("concentration_pct") | None = None
    volume_ml: bounded("volume_ml") | None = None
    dose_mg: bounded("dose_mg") | None = None


class ProcedureIn(Strict):
    performed_at: IsoDatetime
    modality: Modality
    procedure_type: ProcedureType
    punctures: bounded("punctures", integer=True)
    targets: list[TargetIn] = Field(default_factory=list, max_length=MAX_ROWS)
    injectates: list[InjectateIn] = Field(default_factory=list, max_length=MAX_ROWS)
    contrast_volume_ml: bounded("contrast_volume_ml") | None = None
    contrast_extravasation: StrictBool | None = None
    rf_temperature_c: bounded("rf_temperature_c") | None = None
    rf_frequency_hz: bounded("rf_frequency_hz") | None = None
    rf_pulse_width_ms: bounded("rf_pulse_width_ms") | None = None
    rf_duration_s: bounded("rf_duration_s") | None = None
    dap_mgy_cm2: bounded("dap_mgy_cm2", description="Fluoroscopy, DSA, cone-beam CT only"
                         ) | None = None
    fluoroscopy_time_s: bounded("fluoroscopy_time_s",
                                description="Fluoroscopy, DSA, CBCT only") | None = None
    ctdivol_mgy: bounded("ctdivol_mgy", description="CT only") | None = None
    dlp_mgy_cm: bounded("dlp_mgy_cm", description="CT only") | None = None
    operative_time_min: bounded("operative_time_min") | None = None
    first_attempt_success: StrictBool | None = None
    needle_repositions: bounded("needle_repositions", integer=True) | None = None
    notes: text(2000) | None = None
    deviation_reason: text(500) | None = Field(
        None, description="Why the procedure departs from the protocol (another modality than "
                          "the allocated arm's, a dose not recorded); needed with "
                          "confirm_warnings when there is a deviation")
    confirm_warnings: StrictBool = Field(False, description="Save despite plausibility warnings")


class ProcedureEdit(ProcedureIn):
    """The whole procedure as it should read; omitted optional fields become empty."""

    version: Version
    reason: Reason


class ProcedureOut(BaseModel):
    id: int
    patient_id: int
    performed_at: datetime
    modality: str
    procedure_type: str
    punctures: int
    targets: list[TargetIn] = Field(default_factory=list)
    injectates: list[InjectateIn] = Field(default_factory=list)
    contrast_volume_ml: float | None = None
    contrast_extravasation: StrictBool | None = None
    rf_temperature_c: float | None = None
    rf_frequency_hz: float | None = None
    rf_pulse_width_ms: float | None = None
    rf_duration_s: float | None = None
    dap_mgy_cm2: float | None = None
    fluoroscopy_time_s: float | None = None
    ctdivol_mgy: float | None = None
    dlp_mgy_cm: float | None = None
    operative_time_min: float | None = None
    first_attempt_success: StrictBool | None = None
    needle_repositions: int | None = None
    notes: str | None = None
    deviation_reason: str | None = None
    version: int
    warnings: list[str] = Field(default_factory=list)


class ScoreOut(BaseModel):
    id: int = Field(description="The score's own id: a data query names its value as "
                                "score:{id}:value")
    instrument: str
    value: float | None
    raw_sum: int | None = None
    answered: int | None = None
    not_computable_reason: str | None = None
    sections: dict[str, int] = Field(default_factory=dict)
    mode: str


class MedicationIn(Strict):
    med_class: MedicationClass
    drug: text(60)
    daily_dose_mg: bounded("daily_dose_mg")


class MedicationOut(BaseModel):
    med_class: str
    drug: str
    daily_dose_mg: float


class AdverseEventIn(Strict):
    event_type: AdverseEventType = Field(description="A complication type of the catalog")
    onset_on: IsoDate
    severity: Severity
    is_related: StrictBool = Field(description="Whether the procedure caused it: asked, "
                                               "never assumed (the form has no default)")
    notes: text(2000) | None = None


class AdverseEventOut(BaseModel):
    id: int
    patient_id: int
    procedure_id: int | None
    assessment_id: int | None
    event_type: str
    onset_on: date
    severity: str
    is_related: bool
    is_resolved: bool
    resolved_on: date | None
    notes: str | None
    version: int


class AdverseEventEdit(Strict):
    """The event's follow-up as it should read; a field left out stays as recorded (the
    resolution and the notes too: send null to clear them). A value changed answers
    the open data queries on it, with the reason."""

    version: Version
    reason: Reason
    event_type: AdverseEventType | None = Field(None, description="Left out: as recorded")
    onset_on: IsoDate | None = Field(None, description="Left out: as recorded")
    severity: Severity
    is_related: StrictBool
    resolved_on: Annotated[IsoDate | None, BeforeValidator(_empty_is_none)] = Field(
        None, description="Left out: as recorded; null or empty: not resolved (yet)")
    notes: text(2000) | None = Field(None, description="Left out: as recorded; null: none")


class SelfReportMessageOut(BaseModel):
    step: int = Field(description="0: the invitation; 1, 2, …: the reminders")
    state: str = Field(description="pending, sending, sent, failed, unknown or cancelled")
    send_on: date
    sent_at: datetime | None
    opened_at: datetime | None = Field(description="When the patient first opened its link")
    note: str | None = Field(description="Why it was cancelled or re-planned")


class SelfReportOut(BaseModel):
    """The patient's own channel for this visit (studies with self-report only)."""

    invited: bool
    messages: list[SelfReportMessageOut]
    planned: list[date] = Field(description="Days of the ladder's messages still to come")
    opened_at: datetime | None
    started_at: datetime | None
    submitted_at: datetime | None
    wrong_birth_dates: int
    locked_until: datetime | None
    call_from: date | None = Field(description="From this day an unanswered visit is a call")


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
    visit_on: date | None = None
    outside_window: str | None = Field(None, description="e.g. '4 days late'; None inside")
    missing_reason: str | None = None
    version: int
    measures: list[str]
    scores: list[ScoreOut] = Field(default_factory=list)
    medications: list[MedicationOut] = Field(default_factory=list)
    adverse_events: list[AdverseEventOut] = Field(
        default_factory=list, description="Adverse events recorded at this follow-up")
    self_report: SelfReportOut | None = Field(
        None, description="Invitation state, when the study uses self-report")


def _whole_number(value: Any) -> Any:
    """A satisfaction read back from the API (3.0) is sent back as it came: a float with
    nothing after the point is its whole number; anything else is left to be refused."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _entry_type(instrument: Any) -> Any:
    """The JSON type of one instrument's value, with its range, from the registry."""
    if instrument.kind is InstrumentKind.SECTIONS:
        section = Annotated[int, Field(ge=0, le=catalog.SECTION_MAX, strict=True)]
        fields = {s.code: (section | None, Field(None, description=f"{i}. {s.label}"))
                  for i, s in enumerate(instrument.sections, start=1)}
        return create_model(f"{instrument.code.capitalize()}Sections", __base__=Strict,
                            **fields)  # type: ignore[call-overload]
    if instrument.kind is InstrumentKind.LIKERT:  # a code, or its score as the API shows it
        return Literal[tuple(code for code, _label in instrument.choices)] | Annotated[
            int, StrictValue(), Interval(ge=instrument.min_value, le=instrument.max_value),
            BeforeValidator(_whole_number)]  # (the range after it was written "ge", "le")
    return Annotated[float, Field(ge=instrument.min_value, le=instrument.max_value,
                                  allow_inf_nan=False, strict=True)]


Entries = create_model(
    "Entries", __base__=Strict,
    __doc__="The value of each instrument collected (leave out those not collected).",
    **{code: (_entry_type(inst) | None, Field(None, description=f"{inst.label}"
                                              + (f" ({inst.unit})" if inst.unit else "")))
       for code, inst in INSTRUMENTS.items()})  # type: ignore[call-overload]


class _Scores(Strict):
    version: Version
    mode: CollectionMode
    entries: Entries = Field(  # type: ignore[valid-type]
        description="instrument → value: a number (VAS, NRS, quantities), a level code "
                    "(satisfaction), or section code → 0-5 (ODI, NDI)")
    doses_confirmed: StrictBool = Field(
        False, description="The medications' daily doses are right although one is above "
                           "its drug's labelled maximum (e.g. tramadol 400 mg/day, "
                           "pregabalin 600 mg/day; the form's \"The doses are right\"). "
                           "Without it such a dose, new or changed, is refused (422, "
                           "errors on the dose and on doses_confirmed): it is more often a "
                           "week's total or micrograms than a dose taken.")

    def entry_values(self) -> dict[str, Any]:
        """The entries as the services take them (sections as code → value)."""
        return self.entries.model_dump(exclude_unset=True)  # type: ignore[attr-defined]


class ScoresIn(_Scores):
    """A follow-up as the entry form records it: scores, medication, an adverse event."""

    medications: list[MedicationIn] = Field(default_factory=list, max_length=MAX_ROWS)
    adverse_event: AdverseEventIn | None = None
    visit_on: IsoDate | None = Field(
        None, description="The day of the visit (clinic time zone); empty: today. Not in the "
                          "future; a follow-up not before the procedure, a baseline not "
                          "after it.")
    missing_reason: text(500) | None = Field(
        None, description="Why an outcome the protocol asks for was not collected (kept "
                          "with the visit); needed when the entries leave one out, as on "
                          "the form. Beside an ODI/NDI with a section unanswered it answers "
                          "the data query raised on the sections; with nothing left out "
                          "and no section unanswered it is refused, not dropped")
    date_confirmed: StrictBool = Field(
        False, description="The visit day is right although it is before the visit's "
                           "window opens, a month or more after it closes, the day of "
                           "another visit of the patient, or before the onset of the "
                           "adverse event sent with it (the entry form's \"The date is "
                           "right\"). Without it such a visit is refused (422, error on "
                           "date_confirmed): it is more often a slip, or the wrong visit, "
                           "than what happened. Confirmed, it is kept (outside its window, "
                           "counted as a protocol deviation), and the data query raised on "
                           "the day is answered with the confirmation.")


class ScoresEdit(_Scores):
    """The visit's scores as they should read: every instrument recorded at the visit is
    sent, as recorded to keep it or null to remove it (one left out is refused, not
    removed); those not sent stay unrecorded."""

    reason: Reason
    visit_on: IsoDate | None = Field(
        None, description="The corrected day of the visit (clinic time zone); empty: as "
                          "recorded. Checked as at entry: not in the future, a follow-up "
                          "not before the procedure, a baseline not after it.")
    missing_reason: text(500) | None = Field(
        None, description="Why an outcome the protocol asks for is not there (needed when "
                          "the correction leaves one out and the visit has no reason yet)")
    medications: list[MedicationIn] | None = Field(
        None, max_length=MAX_ROWS,
        description="The analgesics taken at the visit as they should read (each row as "
                    "recorded, to keep it; [] removes them all); left out: as recorded")


class NotDoneIn(Strict):
    """Marking a follow-up not done, or reopening one: the version read and the reason."""

    version: Version
    reason: Reason


QueryText = Annotated[str, Field(min_length=1, max_length=1000)]


class QueryIn(Strict):
    target: str = Field(max_length=80, description="The value queried, as record:id:field, "
                                                  "e.g. score:812:value")
    text: QueryText


class QueryStepIn(Strict):
    text: QueryText | None = Field(default=None, description="Required to answer and to "
                                                             "re-open; optional to close")


class QueryStepOut(BaseModel):
    step: Literal["raised", "answered", "closed", "reopened"]
    text: str | None
    by: str = Field(description="the user's name, or 'the rules'")
    at: datetime


class QueryOut(BaseModel):
    id: int
    patient_id: int
    study_code: str
    assessment_id: int | None
    target: str = Field(description="record:id:field")
    label: str = Field(description="the value's name, e.g. 'VAS at Week 1'")
    value_when_raised: str | None
    value_now: str | None = Field(description="the value as it is now: in the answer for "
                                              "one query (null in lists, and where its row "
                                              "was removed since)")
    text: str
    status: Literal["open", "answered", "closed"]
    rule: str | None = Field(description="the rule that raised it; null: a person")
    raised_at: datetime
    steps: list[QueryStepOut]


class FhirBundle(BaseModel):
    """A FHIR Bundle (searchset); its resources follow the FHIR R4B specification."""

    model_config = ConfigDict(extra="allow")
    resourceType: Literal["Bundle"]
    type: Literal["searchset"]
    total: int
    entry: list[dict[str, Any]]


class FhirResource(BaseModel):
    """One FHIR resource (R4B): a Patient, Procedure, Observation, QuestionnaireResponse,
    AdverseEvent, MedicationStatement or Questionnaire."""

    model_config = ConfigDict(extra="allow")
    resourceType: str
    id: str


class FhirIssue(BaseModel):
    severity: Literal["fatal", "error"]
    code: str = Field(description="the FHIR issue type (not-found, forbidden, login, invalid …)")
    diagnostics: str
    expression: list[str] | None = Field(None, description="the field the issue is about")


class FhirOperationOutcome(BaseModel):
    """A FHIR address's error: the message first, then an issue per field refused."""

    resourceType: Literal["OperationOutcome"]
    issue: list[FhirIssue]


class DoseImportOut(BaseModel):
    sop_instance_uid: str = Field(description="the report's SOP Instance UID (provenance)")
    new_events: int = Field(description="irradiation events added (0: all known already)")
    known_events: int
    filled: dict[str, float] = Field(description="empty dose fields set from the report")
    differing: dict[str, list[float]] = Field(
        description="field -> [typed, report]: not overwritten; correct the procedure with "
                    "a reason to take the report's value")


class EffectSizeOut(BaseModel):
    outcome: str
    timepoint: str
    comparison: str = Field(description="'A vs B': A − B for MD and g, A / B for RR and OR")
    arm_1: str = Field(description="the first arm's label")
    arm_2: str
    measure: Literal["MD", "SMD", "RR", "OR"]
    n1: int
    n2: int
    group_1: str = Field(description="mean (SD), or events/n")
    group_2: str
    estimate: float = Field(description="MD, Hedges' g, RR or OR")
    ci_low: float
    ci_high: float
    yi: float = Field(description="as metafor's escalc: MD, g, log RR, log OR")
    vi: float = Field(description="its sampling variance")
    estimated: bool = Field(description="means/SDs estimated from medians and quartiles")


class StudyOut(BaseModel):
    code: str
    title: str
    design_type: str
    status: str = Field(description="planning (draft), recruiting, follow_up, closed")
    protocol_version: int
    is_synthetic: bool


REQUEST_MODELS = (PatientPatch, ProcedureIn, ScoresIn, ScoresEdit, NotDoneIn, AdverseEventEdit,
                  QueryIn, QueryStepIn)
RESPONSE_MODELS = (ErrorOut, PatientOut, ProcedureOut, AssessmentOut, AdverseEventOut,
                   QueryOut, EffectSizeOut)
