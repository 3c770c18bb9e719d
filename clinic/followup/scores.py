"""Turn raw entered values into validated score rows (pure: no Flask, no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clinic.catalog import COLLECTION_MODES
from clinic.exceptions import ValidationError
from clinic.scoring.collection import CollectionMode
from clinic.scoring.disability import DisabilityScore
from clinic.scoring.exceptions import ScoreError
from clinic.scoring.instruments import INSTRUMENTS, InstrumentKind
from clinic.scoring.likert import Satisfaction


@dataclass(frozen=True)
class ScoredValue:
    instrument: str
    value: float | None
    raw_sum: int | None = None
    answered: int | None = None
    reason: str | None = None
    sections: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredScore:
    """A score as a save stored it: its row's columns (clinic.followup.service._store)."""

    id: int
    assessment_id: int
    instrument: str
    value: float | None
    raw_sum: int | None
    answered: int | None
    not_computable_reason: str | None
    mode: str
    collected_by_id: int | None
    collected_at: datetime


def score_entries(entries: dict[str, Any], allowed: set[str]) -> list[ScoredValue]:
    """Validate every entered instrument; all errors together, field by field."""
    errors: dict[str, str] = {}
    scored: list[ScoredValue] = []
    for code, raw in entries.items():
        if code not in allowed:
            errors[code] = "This study does not collect this measure at this timepoint."
            continue
        try:
            scored.append(_score_one(code, raw))
        except ScoreError as error:
            errors[error.field if error.field.startswith(code) else code] = error.message
            errors.update({f: m for f, m in error.others.items() if f.startswith(code)})
    if errors:
        raise ValidationError(errors)
    return scored


def _score_one(code: str, raw: Any) -> ScoredValue:
    instrument = INSTRUMENTS[code]
    result = instrument.score(raw)
    if instrument.kind is InstrumentKind.SECTIONS:
        return _sectioned(code, result, raw)
    if instrument.kind is InstrumentKind.LIKERT:
        return ScoredValue(code, float(Satisfaction(result).score))
    return ScoredValue(code, float(result))


def _sectioned(code: str, result: DisabilityScore, raw: Any) -> ScoredValue:
    values = list(raw.values()) if isinstance(raw, dict) else list(raw)
    sections = {i + 1: int(v) for i, v in enumerate(values) if v is not None}
    if isinstance(raw, dict):
        codes = [s.code for s in INSTRUMENTS[code].sections]
        sections = {codes.index(k) + 1: int(v) for k, v in raw.items() if v is not None}
    return ScoredValue(code, result.total_percent, result.raw_sum, result.answered,
                       result.reason, sections)


def parse_mode(mode: str) -> str:
    try:
        return CollectionMode(mode).value
    except ValueError:
        *first, last = (label.lower() for label in COLLECTION_MODES.values())
        # the words of the form's list (the API refuses an unknown code by its schema)
        raise ValidationError({"mode": f"Choose how it was collected: {', '.join(first)} "
                                       f"or {last}."}) from None
