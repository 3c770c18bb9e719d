"""The value a query names: where it lives, what it is called, what it is now."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from clinic.audit.words import field_label
from clinic.catalog import (
    ADVERSE_EVENT_TYPES,
    COLLECTION_MODES,
    INT_MAX,
    MODALITIES,
    MODALITIES_WITH_CT_DOSE,
    MODALITIES_WITH_DAP,
    QUERY_TARGETS,
    SEVERITIES,
    SEXES,
)
from clinic.exceptions import ValidationError
from clinic.models import (
    AdverseEvent,
    Assessment,
    Patient,
    Procedure,
    Score,
    ScoreSection,
    StudyTimepoint,
)
from clinic.procedures.inputs import CT_FIELDS, DAP_FIELDS
from clinic.scoring.instruments import INSTRUMENTS

MODELS: dict[str, Any] = {"patient": Patient, "procedure": Procedure, "assessment": Assessment,
                          "score": Score, "score_section": ScoreSection,
                          "adverse_event": AdverseEvent}
KEY = re.compile(r"(?P<table>[a-z_]{1,20}):(?P<row>[0-9]{1,20}):(?P<field>[a-z_0-9]{1,40})",
                 re.ASCII)
CODED = {"modality": MODALITIES, "sex": SEXES, "mode": COLLECTION_MODES,
         "event_type": ADVERSE_EVENT_TYPES, "severity": SEVERITIES}


@dataclass(frozen=True)
class Target:
    table: str
    row_id: int
    field: str
    study_id: int
    patient_id: int
    assessment_id: int | None
    label: str
    value: str

    @property
    def key(self) -> str:
        return f"{self.table}:{self.row_id}:{self.field}"


def parse_key(key: str) -> tuple[str, int, str]:
    """``score:812:value`` -> ("score", 812, "value"), or a clear error."""
    found = KEY.fullmatch(key or "")
    if found is None:
        raise ValidationError({"target": "Name the value as record:id:field, "
                                         "e.g. score:812:value."})
    if int(found["row"]) > INT_MAX:
        raise ValidationError({"target": f"There is no {found['table']} {found['row']}."})
    return found["table"], int(found["row"]), found["field"]


def resolve(session: Session, table: str, row_id: int, field: str) -> Target:
    """The value named, with its patient and visit; ValidationError if it cannot be
    queried (an unknown record or field, or a row that does not exist)."""
    if field not in QUERY_TARGETS.get(table, ()):
        raise ValidationError({"target": f"{table}.{field} is not a value that can be "
                                         "queried."})
    row = session.get(MODELS[table], row_id)
    if row is None:
        raise ValidationError({"target": f"There is no {table} {row_id}."})
    if table == "procedure" and not _dose_applies(row.modality, field):
        raise ValidationError({"target": f"{MODALITIES.get(row.modality, row.modality)} "
                                         f"records no {field_label(field)}: there is no "
                                         "value to query."})
    where = _place(session, table, row)
    if where is None:
        raise ValidationError({"target": f"{table} {row_id} belongs to no patient."})
    patient, assessment, record = where
    label = record if table in ("score", "score_section") else f"{record}: {field_label(field)}"
    return Target(table, row_id, field, patient.study_id, patient.id,  # type: ignore[arg-type]
                  assessment.id if assessment else None, label, _value_shown(table, field, row))


def _dose_applies(modality: str, field: str) -> bool:
    """Whether a procedure of ``modality`` records ``field`` (a CT records no dose-area
    product, an ultrasound no dose at all): a query on it would ask about nothing."""
    if field in DAP_FIELDS:
        return modality in MODALITIES_WITH_DAP
    if field in CT_FIELDS:
        return modality in MODALITIES_WITH_CT_DOSE
    return True


def _place(session: Session, table: str,
           row: Any) -> tuple[Patient, Assessment | None, str] | None:
    """The row's patient, its visit (for visit data) and the record's name."""
    if table == "patient":
        return row, None, "Baseline"
    if table == "procedure":
        patient = session.get(Patient, row.patient_id)
        return (patient, None, f"Procedure of {row.performed_at:%Y-%m-%d}") if patient else None
    if table == "adverse_event":
        patient = session.get(Patient, row.patient_id)
        visit = session.get(Assessment, row.assessment_id) if row.assessment_id else None
        name = ADVERSE_EVENT_TYPES.get(row.event_type, row.event_type)
        return (patient, visit, f"Adverse event {name} of {row.onset_on:%Y-%m-%d}") \
            if patient else None
    score = session.get(Score, row.score_id) if table == "score_section" else row
    assessment = row if table == "assessment" else (
        session.get(Assessment, score.assessment_id) if score else None)
    if assessment is None:
        return None
    patient = session.get(Patient, assessment.patient_id)
    timepoint = session.get(StudyTimepoint, assessment.timepoint_id)
    at = timepoint.label if timepoint else "visit"
    if table == "assessment":
        return (patient, assessment, f"Visit at {at}") if patient else None
    name = INSTRUMENTS[score.instrument].label if score.instrument in INSTRUMENTS \
        else score.instrument
    if table == "score_section":
        name = f"{name}, section {row.section}"
    return (patient, assessment, f"{name} at {at}") if patient else None


def _value_shown(table: str, field: str, row: Any) -> str:
    """The value as its scale reads it: an ODI or NDI score with its "%", as the rules
    write it when they raise a query (a query page showed "40 %" raised, "40" now)."""
    value = getattr(row, field)
    if table == "score" and field == "value" and value is not None:
        found = INSTRUMENTS.get(row.instrument)
        if found is not None and found.unit == "%":
            return f"{value:g} %"
    return shown(field, value)


def shown(field: str, value: Any) -> str:
    if value is None:
        return "(blank)"
    if field in CODED:
        return CODED[field].get(value, str(value))
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)[:200]
