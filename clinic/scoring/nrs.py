"""NRS weighted value (NRS-WV) and response category.

Source: He S, Xu Y, Li B, Shi Y. Enhancing chronic back pain management: a
comparative study of ultrasound-MRI fusion guidance for paravertebral nerve
block. Open Med 2025 (doi:10.1515/med-2025-1147), section 2.4.2 "Treatment
effect": outcomes "categorized into four levels: cured (NRS-WV >= 75%),
significant improvement (50% <= NRS-WV < 75%), improved (25% <= NRS-WV < 50%),
and no effect (NRS-WV < 25%)". The paper reports NRS-WV as a fraction
(e.g. 0.64 +/- 0.16), i.e. ``(before - after) / before``.

Boundaries are therefore lower-inclusive: exactly 0.75 is cured, exactly 0.50
significant improvement, exactly 0.25 improved. The value is computed exactly on
the decimals entered (8 -> 2 gives exactly 0.75) so boundary cases never fall on
the wrong side through float rounding. A worsening (after > before) gives a
negative value and "no effect". ``before == 0`` -> not computable (value None,
``reason`` set).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from clinic.scoring._numbers import plain
from clinic.scoring.vas import pain_decimal


class NrsResponse(StrEnum):
    CURED = "cured"
    SIGNIFICANT_IMPROVEMENT = "significant_improvement"
    IMPROVED = "improved"
    NO_EFFECT = "no_effect"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    NrsResponse.CURED: "Cured",
    NrsResponse.SIGNIFICANT_IMPROVEMENT: "Significant improvement",
    NrsResponse.IMPROVED: "Improved",
    NrsResponse.NO_EFFECT: "No effect",
}

# Lower-inclusive thresholds on the weighted value (fraction of baseline).
RESPONSE_THRESHOLDS: tuple[tuple[Fraction, NrsResponse], ...] = (
    (Fraction(3, 4), NrsResponse.CURED),
    (Fraction(1, 2), NrsResponse.SIGNIFICANT_IMPROVEMENT),
    (Fraction(1, 4), NrsResponse.IMPROVED),
)


@dataclass(frozen=True)
class NrsWeightedValue:
    before: int | float
    after: int | float
    value: float | None
    category: NrsResponse | None
    reason: str | None = None
    value_exact: Fraction | None = None

    @property
    def percent(self) -> float | None:
        return None if self.value_exact is None else float(self.value_exact * 100)


def response_category(weighted_value: Fraction | float) -> NrsResponse:
    """Category for a weighted value given as a fraction (0.75 = 75 %)."""
    for threshold, category in RESPONSE_THRESHOLDS:
        if weighted_value >= threshold:
            return category
    return NrsResponse.NO_EFFECT


def nrs_weighted_value(before: object, after: object) -> NrsWeightedValue:
    """NRS-WV = (before - after) / before; both validated as 0-10 pain scores."""
    b = pain_decimal(before, "nrs.before")
    a = pain_decimal(after, "nrs.after")
    b_plain, a_plain = plain(b), plain(a)
    if b == 0:
        return NrsWeightedValue(
            b_plain, a_plain, None, None, "baseline NRS is 0; weighted value is not computable"
        )
    exact = (Fraction(b) - Fraction(a)) / Fraction(b)
    return NrsWeightedValue(
        b_plain, a_plain, float(exact), response_category(exact), value_exact=exact
    )
