"""Audit fields and values in words (pure): "completed by Demo Nurse (North)" rather than
``completed_by_id 4``, "2026-12-03 14:05 CET" rather than an ISO time stamp, "CT" rather
than ``ct``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from clinic import catalog
from clinic.protocol.definition import DESIGN_TYPES
from clinic.scoring.exceptions import ScoreError
from clinic.scoring.instruments import INSTRUMENTS, InstrumentKind
from clinic.scoring.likert import Satisfaction

USER_FIELDS = frozenset({"completed_by_id", "collected_by_id", "operator_id",
                         "consent_taken_by_id", "made_by_id", "created_by_id",
                         "locked_by_id", "signer_id", "raised_by_id", "user_id",
                         "randomized_by_id", "screened_by_id", "closed_by_id",
                         "imported_by_id"})
# numbers stored as floats: "1.0" reads 1 (a score's value, a dose)
NUMBER_FIELDS = frozenset({*catalog.NUMBER_BOUNDS, "value", "raw_sum", "value_when_raised"})
# a None that means "all" rather than "nothing"
NONE_MEANS = {"timepoint_codes": "every timepoint", "strata": "every patient"}
NOTHING = "none"  # a value not set (it read "∅", a sign staff do not read)
CODES: Mapping[str, Mapping[str, str]] = {
    "modality": catalog.MODALITIES, "procedure_type": catalog.PROCEDURE_TYPES,
    "level": catalog.LEVELS, "side": catalog.SIDES, "laterality": catalog.LATERALITY,
    "drug": catalog.DRUGS, "sex": catalog.SEXES, "event_type": catalog.ADVERSE_EVENT_TYPES,
    "severity": catalog.SEVERITIES, "state": catalog.ASSESSMENT_STATES,
    "mode": catalog.COLLECTION_MODES, "med_class": catalog.MEDICATION_CLASSES,
    "status": {**catalog.ENROLLMENT_STATUSES, **catalog.STUDY_STATUSES},
    "instrument": {code: i.label for code, i in INSTRUMENTS.items()},
    "design_type": DESIGN_TYPES, "capped_steroid": catalog.DRUGS,
}
LABELS: Mapping[str, str] = {
    "completed_by_id": "completed by", "collected_by_id": "collected by",
    "operator_id": "operator", "consent_taken_by_id": "consent taken by",
    "locked_by_id": "locked by", "locked_at": "locked at", "signer_id": "signed by",
    "signed_at": "signed at", "printed_name": "printed name",
    "raised_by_id": "raised by", "raised_at": "raised at", "user_id": "by",
    "value_when_raised": "value when raised", "target_table": "record",
    "target_id": "record number",
    "rule_key": "rule key", "step": "step",
    "content_hash": "SHA-256 of the signed data",
    "completed_at": "completed at", "collected_at": "collected at", "visit_on": "visit date",
    "missing_reason": "reason an outcome was not collected",
    "not_done_reason": "reason not done", "performed_at": "date and time",
    "target_date": "target date", "window_open": "window opens",
    "window_close": "window closes", "dap_mgy_cm2": "DAP (mGy·cm²)",
    "fluoroscopy_time_s": "fluoroscopy time (s)", "ctdivol_mgy": "CTDIvol (mGy)",
    "dlp_mgy_cm": "DLP (mGy·cm)", "operative_time_min": "operative time (min)",
    "contrast_volume_ml": "contrast volume (mL)", "rf_temperature_c": "RF temperature (°C)",
    "rf_frequency_hz": "RF frequency (Hz)", "rf_pulse_width_ms": "RF pulse width (ms)",
    "rf_duration_s": "RF duration (s)", "needle_repositions": "needle repositions",
    "first_attempt_success": "success at the first attempt",
    "contrast_extravasation": "contrast extravasation", "deviation_reason": "deviation reason",
    "age_at_enrollment": "age", "birth_year": "birth year", "bmi": "BMI",
    "symptom_duration_months": "symptom duration (months)", "raw_sum": "raw sum",
    "not_computable_reason": "why not computable", "answered": "sections answered",
    "daily_dose_mg": "daily dose (mg)", "med_class": "class",
    "concentration_pct": "concentration (%)", "volume_ml": "volume (mL)", "dose_mg": "dose (mg)",
    "is_related": "related to the procedure", "is_resolved": "resolved",
    "resolved_on": "resolved on", "onset_on": "onset", "reminder_consent": "reminder consent",
    "self_report_consent": "self-report consent", "language": "language",
    "birth_date": "date of birth", "mrn": "MRN", "assessment_id": "visit",
    "is_eligible": "eligible", "is_baseline": "baseline visit", "is_synthetic": "synthetic",
    "steroid_cap_mg": "steroid cap (mg)", "capped_steroid": "capped steroid",
    "response_categories": "response categories asked",
}


# a field whose name says little without its record: a score's "value" is the score, a
# questionnaire section's the answer ticked
RECORD_LABELS: Mapping[str, Mapping[str, str]] = {
    "score": {"value": "score", "raw_sum": "sum of the answers"},
    "score_section": {"value": "answer"},
    "data_query": {"label": "about"},
}


# codes whose words depend on the record: a data query's status is Open/Answered/Closed
# (the study's "closed" is another word), a lock's level its scope
RECORD_CODES: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "data_query": {"status": catalog.QUERY_STATES},
    "data_query_step": {"step": catalog.QUERY_STEPS},
    "record_lock": {"level": catalog.LOCK_LEVELS},
}


def field_label(field: str | None, entity: str | None = None) -> str:
    """A field in words; ``entity`` (the record's table) where the name alone says little."""
    if not field:
        return ""
    if entity is not None and field in RECORD_LABELS.get(entity, {}):
        return RECORD_LABELS[entity][field]
    return LABELS.get(field, field.removesuffix("_id").replace("_", " "))


def value_words(field: str | None, value: str | None, users: Mapping[int, str],
                zone: str, ids: Mapping[str, Mapping[int, str]] | None = None,
                entity: str | None = None) -> str:
    """A stored audit value as a person reads it; None reads as an empty set (or as
    "every timepoint" where it means all). ``ids``: field -> row id -> its name (an
    arm's code for ``arm_id``), for the rows a reader knows by name; ``entity``: the
    record's table, where a code's words depend on it (:data:`RECORD_CODES`)."""
    if value is None:
        return NONE_MEANS.get(field or "", NOTHING)
    own = RECORD_CODES.get(entity or "", {}).get(field or "")
    if own is not None:
        return own.get(value, value)
    if entity == "data_query" and field in ("field", "target_table"):  # what it asks about,
        return _query_target_words(field, value)  # in words ("CTDIvol (mGy)", "visit")
    if field in USER_FIELDS and value.isascii() and value.isdigit():
        return users.get(int(value), f"user {value}")
    if ids and field in ids and value.isascii() and value.isdigit():
        return ids[field].get(int(value), f"#{value}")
    if field in CODES:
        return CODES[field].get(value, value)
    if value in ("True", "False"):
        return "yes" if value == "True" else "no"
    if field in NUMBER_FIELDS and value.endswith(".0") and value[:-2].lstrip("-").isdigit():
        return value[:-2]  # "28.0" as the form shows it, 28 (every other digit kept)
    if field == "query_id" and value.isdigit():
        return f"#{value}"  # a data query, as the queries screen numbers it
    if field == "strata_rules":
        return strata_words(value)
    if field == "added_at":
        return _added_words(value, zone)
    if value.startswith("[") and value.endswith("]"):
        return _list_words(value)
    if len(value) > 10 and value[:4].isdigit() and value[4] == "-" and ("T" in value or
                                                                        " " in value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
        return moment.strftime("%Y-%m-%d %H:%M")
    return value


TABLE_WORDS = {"assessment": "visit", "score": "score", "procedure": "procedure",
               "adverse_event": "adverse event", "patient": "patient",
               "enrollment": "enrollment", "score_section": "questionnaire answer"}


def _query_target_words(field: str, value: str) -> str:
    if field == "target_table":
        return TABLE_WORDS.get(value, value.replace("_", " "))
    return field_label(value)


def score_value_words(instrument: str | None, value: str) -> str:
    """A score's stored value as its scale reads it: a satisfaction of "3.0" is
    "3 (Satisfied)", a VAS of "8.0" is 8."""
    known = INSTRUMENTS.get(instrument or "")
    if known is None:
        return value
    if known.kind is not InstrumentKind.LIKERT:
        return _number_words(value)
    try:
        level = Satisfaction.from_score(int(float(value)))
    except (ValueError, ArithmeticError, ScoreError):
        return value
    return f"{level.score} ({level.label})"


def strata_words(value: str) -> str:
    """A study's stratification factors as read in its protocol: "punctures: 1–2, 3–4,
    5–6"; anything else as it was stored."""
    try:
        factors = json.loads(value)
        parts = [f"{f['name']}: " + ", ".join(
            f"{b['low']}–{b['high']}" if b["low"] != b["high"] else str(b["low"])
            for b in f["bins"]) for f in factors]
    except (ValueError, TypeError, KeyError):
        return value
    return "; ".join(parts) if parts else "none"


def _added_words(value: str, zone: str) -> str:
    """A measure's timepoints added by amendment, with when: "month_12 since 2026-12-05
    04:15 CET"; anything else as it was stored."""
    try:
        added = json.loads(value)
        local = {code: datetime.fromisoformat(when).astimezone(ZoneInfo(zone))
                 for code, when in added.items()}
        parts = [f"{code} since {when:%Y-%m-%d %H:%M %Z}" for code, when in local.items()]
    except (ValueError, TypeError, AttributeError):
        return value
    return ", ".join(parts) if parts else "none"


def _number_words(value: str) -> str:
    """A stored number as written on the form: "8.0" is 8, "33.33" stays."""
    try:
        number = float(value)
    except ValueError:
        return value
    return f"{number:g}" if abs(number) < 1e15 else value


def _list_words(value: str) -> str:
    """A JSON list of codes ("timepoint codes") as "baseline, month_1"; anything else as
    it was stored."""
    try:
        items = json.loads(value)
    except ValueError:
        return value
    if not isinstance(items, list) or any(isinstance(i, list | dict) for i in items):
        return value
    return ", ".join(str(i) for i in items) if items else "none"
