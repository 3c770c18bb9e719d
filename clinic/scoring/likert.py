"""Satisfaction on a 4-level Likert scale (seed trial Table 6).

The seed trial's methods describe a scale "ranging from 'strongly satisfied' to
'very unsatisfied'", but its Table 6 reports four levels: Very unsatisfied,
Unsatisfied, Satisfied, Very satisfied. We use the Table 6 levels, scored 1-4.
The same scale serves "satisfaction with the procedure" and "with the results".
"""

from __future__ import annotations

from enum import StrEnum

from clinic.scoring.exceptions import ScoreError


class Satisfaction(StrEnum):
    VERY_UNSATISFIED = "very_unsatisfied"
    UNSATISFIED = "unsatisfied"
    SATISFIED = "satisfied"
    VERY_SATISFIED = "very_satisfied"

    @property
    def score(self) -> int:
        return _SCORES[self]

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def from_score(cls, score: int) -> Satisfaction:
        for level, value in _SCORES.items():
            if value == score:
                return level
        raise ScoreError("satisfaction", f"A satisfaction score is 1 to 4 ({_SCALE}), not "
                                         f"{str(score)[:20]}.")


_SCORES = {
    Satisfaction.VERY_UNSATISFIED: 1,
    Satisfaction.UNSATISFIED: 2,
    Satisfaction.SATISFIED: 3,
    Satisfaction.VERY_SATISFIED: 4,
}
_LABELS = {
    Satisfaction.VERY_UNSATISFIED: "Very unsatisfied",
    Satisfaction.UNSATISFIED: "Unsatisfied",
    Satisfaction.SATISFIED: "Satisfied",
    Satisfaction.VERY_SATISFIED: "Very satisfied",
}


_SCALE = ", ".join(_LABELS.values())


def parse_satisfaction(value: object, field: str = "satisfaction") -> Satisfaction:
    """Accept a Satisfaction, its code (``"satisfied"``) or its score (1-4)."""
    if isinstance(value, Satisfaction):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip()) if len(value.strip()) < 10 else -1  # a score typed
    if isinstance(value, str):
        try:
            return Satisfaction(value)
        except ValueError:
            codes = ", ".join(level.value for level in Satisfaction)
            raise ScoreError(field, f"{value[:20]!r} is no level of satisfaction: choose "
                                    f"{_SCALE} (codes {codes}; scores 1 to 4).") from None
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return Satisfaction.from_score(value)
        except ScoreError as exc:
            raise ScoreError(field, exc.message) from None
    raise ScoreError(field, f"expected a level code or a score 1-4, got {value!r}")
