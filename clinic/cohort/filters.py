"""The cohort view's filters (plain values: no pandas, so the app starts without it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class CohortFilters:
    study_id: int
    instrument: str = "vas"
    modality: str | None = None
    procedure_type: str | None = None
    level: str | None = None
    site: str | None = None
    date_from: date | None = None
    date_to: date | None = None
