"""The schedule preview of a protocol (pure): the dates of every visit for an index
procedure on a given day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clinic.protocol.definition import StudyDefinition
from clinic.scheduling.windows import plan_one


@dataclass(frozen=True)
class PreviewRow:
    code: str
    label: str
    target: date
    window_open: date
    window_close: date
    measures: tuple[str, ...]


def schedule_preview(definition: StudyDefinition, procedure_on: date) -> list[PreviewRow]:
    rows = []
    for spec in definition.timepoints:
        visit = plan_one(procedure_on, spec)
        measures = tuple(m.instrument + (f" ({', '.join(m.strata)})" if m.strata else "")
                         for m in definition.measures
                         if m.timepoints is None or spec.code in m.timepoints)
        rows.append(PreviewRow(spec.code, spec.label, visit.target_date, visit.window_open,
                               visit.window_close, measures))
    return rows
