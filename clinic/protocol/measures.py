"""Which measures a visit asks for (pure): the protocol's measures at the visit's
timepoint, for the patient's stratum, as they stood when the visit was recorded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from clinic.protocol.allocation import STRATUM_SEPARATOR


@dataclass(frozen=True)
class MeasureRule:
    instrument: str
    timepoints: Sequence[str] | None  # None: every timepoint
    strata: Sequence[str] | None = None  # None: every patient; else bin codes
    added_at: Mapping[str, str] | None = None  # timepoint -> when an amendment added it


def applies(rule: MeasureRule, timepoint: str, stratum: str | None,
            completed_at: datetime | None = None) -> bool:
    """Does the visit at ``timepoint`` of a patient in ``stratum`` ask for ``rule``?

    A visit recorded before an amendment added the measure is left as it was: the
    measure does not apply to it (``completed_at`` earlier than the amendment).
    """
    if rule.timepoints is not None and timepoint not in rule.timepoints:
        return False
    if rule.strata is not None:
        bins = set((stratum or "").split(STRATUM_SEPARATOR))
        if not bins & set(rule.strata):
            return False
    added = (rule.added_at or {}).get(timepoint)
    return not (added and completed_at is not None
                and completed_at < datetime.fromisoformat(added))


def instruments_at(rules: Sequence[MeasureRule], timepoint: str, stratum: str | None,
                   completed_at: datetime | None = None) -> list[str]:
    return [r.instrument for r in rules if applies(r, timepoint, stratum, completed_at)]
