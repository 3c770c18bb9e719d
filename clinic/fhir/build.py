"""FHIR resources as plain dicts from plain rows (pure: no database, no Flask).

Patients are pseudonymised: the study code is their only identifier, unless the caller
passes identity (name, MRN) for a role that may see it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from clinic import catalog
from clinic.fhir.codes import (
    ANALGESIC_CLASS_SYSTEM,
    DICOM,
    DOSE_COMPONENTS,
    DOSE_PANEL,
    EVENT_TYPE_SYSTEM,
    HL7_SEVERITIES,
    INSTRUMENT_SYSTEM,
    LEVEL_SYSTEM,
    LIKERT_SYSTEM,
    LOINC,
    MODALITY_CODES,
    MODALITY_EXTENSION,
    MRN_SYSTEM,
    OBSERVATION_CATEGORY,
    OUTCOME_SYSTEM,
    OWN_SEVERITY_SYSTEM,
    PANEL_CODES,
    PROCEDURE_TYPE_SYSTEM,
    QUESTIONNAIRE_URL,
    RELATEDNESS_SYSTEM,
    SCORE_CODES,
    SEVERITY_SYSTEM,
    STUDY_CODE_SYSTEM,
    UCUM,
)
from clinic.scoring.instruments import INSTRUMENTS, InstrumentKind
from clinic.scoring.likert import Satisfaction

GENDERS = {"male": "male", "female": "female"}


def ref(kind: str, key: Any) -> dict[str, str]:
    return {"reference": f"{kind}/{key}"}


def patient(key: int, *, study_code: str, study: str, sex: str,
            identity: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient", "id": str(key),
        "identifier": [{"system": f"{STUDY_CODE_SYSTEM}/{study}", "value": study_code}],
        "gender": GENDERS.get(sex, "unknown")}
    if identity:
        if identity.get("mrn"):
            resource["identifier"].append({"system": MRN_SYSTEM, "value": identity["mrn"]})
        if identity.get("name"):
            resource["name"] = [{"text": identity["name"]}]
    return resource


def procedure(key: int, patient_key: int, *, procedure_type: str, modality: str,
              performed_at: datetime, levels: Sequence[tuple[str, str]]) -> dict[str, Any]:
    system, code, display = MODALITY_CODES[modality]
    return {
        "resourceType": "Procedure", "id": str(key), "status": "completed",
        "subject": ref("Patient", patient_key),
        "code": {"coding": [{"system": PROCEDURE_TYPE_SYSTEM, "code": procedure_type,
                             "display": catalog.PROCEDURE_TYPES[procedure_type]}],
                 "text": catalog.PROCEDURE_TYPES[procedure_type]},
        "performedDateTime": performed_at.isoformat(),
        "bodySite": [{"coding": [{"system": LEVEL_SYSTEM, "code": level,
                                  "display": catalog.LEVELS.get(level, level)}],
                      "text": f"{catalog.LEVELS.get(level, level)} {side}"}
                     for level, side in levels],
        "extension": [{"url": MODALITY_EXTENSION, "valueCodeableConcept": {
            "coding": [{"system": system, "code": code, "display": display}],
            "text": catalog.MODALITIES[modality]}}]}


def score_observation(key: str, patient_key: int, *, instrument: str, value: float,
                      at: datetime, derived_from: str | None = None,
                      amended: bool = False) -> dict[str, Any]:
    """``amended``: corrected since it was recorded (FHIR's status for a final result
    changed afterwards, so that a receiving system can tell)."""
    loinc, display, unit, unit_display = SCORE_CODES[instrument]
    resource: dict[str, Any] = {
        "resourceType": "Observation", "id": key, "status": "amended" if amended else "final",
        "category": [_category("survey")],
        "code": {"coding": [{"system": LOINC, "code": loinc, "display": display}],
                 "text": INSTRUMENTS[instrument].label},
        "subject": ref("Patient", patient_key), "effectiveDateTime": at.isoformat(),
        "valueQuantity": {"value": _number(value), "unit": unit_display, "system": UCUM,
                          "code": unit}}
    if derived_from:
        resource["derivedFrom"] = [ref("QuestionnaireResponse", derived_from)]
    if instrument in PANEL_CODES:
        code, name = PANEL_CODES[instrument]
        resource["code"]["coding"].append({"system": LOINC, "code": code, "display": name})
    return resource


def other_observation(key: str, patient_key: int, *, instrument: str, value: float,
                      at: datetime, amended: bool = False) -> dict[str, Any]:
    """An outcome with no LOINC code (satisfaction, analgesic quantities), coded in the
    app's instrument system: a satisfaction level as a coded value, the others as a
    quantity in the instrument's unit."""
    inst = INSTRUMENTS[instrument]
    resource: dict[str, Any] = {
        "resourceType": "Observation", "id": key, "status": "amended" if amended else "final",
        "category": [_category("survey")],
        "code": {"coding": [{"system": INSTRUMENT_SYSTEM, "code": instrument,
                             "display": inst.label}], "text": inst.label},
        "subject": ref("Patient", patient_key), "effectiveDateTime": at.isoformat()}
    if inst.kind is InstrumentKind.LIKERT:
        level = Satisfaction.from_score(int(value))
        resource["valueCodeableConcept"] = {
            "coding": [{"system": LIKERT_SYSTEM, "code": level.value, "display": level.label}],
            "text": level.label}
    else:
        unit = {"mg/day": "mg/d"}.get(inst.unit, inst.unit or "1")
        resource["valueQuantity"] = {"value": _number(value), "unit": inst.unit or "1",
                                     "system": UCUM, "code": unit}
    return resource


def adverse_event(key: str, patient_key: int, *, event_type: str, onset_on: date,
                  severity: str, is_related: bool, is_resolved: bool,
                  recorded_at: datetime, procedure_key: int | None) -> dict[str, Any]:
    """A complication, coded (its free-text notes are left out: they may name people)."""
    label = catalog.SEVERITIES[severity]
    system = SEVERITY_SYSTEM if severity in HL7_SEVERITIES else OWN_SEVERITY_SYSTEM
    resource: dict[str, Any] = {
        "resourceType": "AdverseEvent", "id": key, "actuality": "actual",
        "event": {"coding": [{"system": EVENT_TYPE_SYSTEM, "code": event_type,
                              "display": catalog.ADVERSE_EVENT_TYPES[event_type]}],
                  "text": catalog.ADVERSE_EVENT_TYPES[event_type]},
        "subject": ref("Patient", patient_key), "date": onset_on.isoformat(),
        "recordedDate": recorded_at.isoformat(),
        "severity": {"coding": [{"system": system, "code": severity, "display": label}],
                     "text": label},
        "outcome": {"coding": [{"system": OUTCOME_SYSTEM,
                                "code": "resolved" if is_resolved else "ongoing"}]}}
    if procedure_key is not None:
        related = "related" if is_related else "not-related"
        resource["suspectEntity"] = [{
            "instance": ref("Procedure", procedure_key),
            "causality": [{"assessment": {
                "coding": [{"system": RELATEDNESS_SYSTEM, "code": related}],
                "text": "Caused by the procedure" if is_related
                else "Not caused by the procedure"}}]}]
    return resource


def medication_statement(key: str, patient_key: int, *, med_class: str, drug: str,
                         daily_dose_mg: float, at: datetime) -> dict[str, Any]:
    """An analgesic the patient took at a visit, with its daily dose."""
    return {
        "resourceType": "MedicationStatement", "id": key, "status": "active",
        "category": {"coding": [{"system": ANALGESIC_CLASS_SYSTEM, "code": med_class,
                                 "display": catalog.MEDICATION_CLASSES[med_class]}]},
        "medicationCodeableConcept": {"text": drug},
        "subject": ref("Patient", patient_key), "effectiveDateTime": at.isoformat(),
        "dosage": [{"text": f"{daily_dose_mg:g} mg a day", "doseAndRate": [{
            "rateQuantity": {"value": _number(daily_dose_mg), "unit": "mg/day",
                             "system": UCUM, "code": "mg/d"}}]}]}


def dose_observation(key: str, patient_key: int, procedure_key: int, *, at: datetime,
                     values: Mapping[str, float | None]) -> dict[str, Any] | None:
    components = [{"code": {"coding": [{"system": DICOM,
                                         "code": code, "display": display}]},
                   "valueQuantity": {"value": _number(values[column]), "unit": unit,
                                     "system": UCUM, "code": unit}}
                  for column, (code, display, unit) in DOSE_COMPONENTS.items()
                  if values.get(column) is not None]
    if not components:
        return None
    return {"resourceType": "Observation", "id": key, "status": "final",
            "category": [_category("procedure")],
            "code": {"coding": [{"system": LOINC, "code": DOSE_PANEL[0],
                                 "display": DOSE_PANEL[1]}]},
            "subject": ref("Patient", patient_key), "partOf": [ref("Procedure", procedure_key)],
            "effectiveDateTime": at.isoformat(), "component": components}


def questionnaire(instrument: str) -> dict[str, Any]:
    inst = INSTRUMENTS[instrument]
    code, display, _unit, _ = SCORE_CODES[instrument]
    return {
        "resourceType": "Questionnaire", "id": instrument,
        "url": QUESTIONNAIRE_URL.format(instrument=instrument), "status": "active",
        "title": inst.label, "code": [{"system": LOINC, "code": code, "display": display}],
        "item": [*({"linkId": f"section-{i}", "text": s.label, "type": "integer",
                    "required": False} for i, s in enumerate(inst.sections, start=1)),
                 {"linkId": "total", "text": f"{inst.label} (%): sum / (5 × sections "
                                             "answered) × 100", "type": "decimal",
                  "readOnly": True}]}


def questionnaire_response(key: str, patient_key: int, *, instrument: str, at: datetime,
                           sections: Mapping[int, int], total: float | None) -> dict[str, Any]:
    """Each answered section (0–5); a skipped section has an item without an answer."""
    count = len(INSTRUMENTS[instrument].sections)
    items = []
    for number in range(1, count + 1):
        item: dict[str, Any] = {"linkId": f"section-{number}"}
        if number in sections:
            item["answer"] = [{"valueInteger": int(sections[number])}]
        items.append(item)
    if total is not None:
        items.append({"linkId": "total", "answer": [{"valueDecimal": _number(total)}]})
    return {"resourceType": "QuestionnaireResponse", "id": key, "status": "completed",
            "questionnaire": QUESTIONNAIRE_URL.format(instrument=instrument),
            "subject": ref("Patient", patient_key), "authored": at.isoformat(),
            "item": items}


def _category(code: str) -> dict[str, Any]:
    return {"coding": [{"system": OBSERVATION_CATEGORY, "code": code}]}


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


