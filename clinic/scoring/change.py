"""Change from baseline.

``absolute = after - before`` (negative = the score went down, i.e. improvement
for pain and disability scores) and ``percent = (after - before) / before x 100``.
When ``before`` is 0 the percent change is undefined: ``percent`` is None and
``reason`` says why. When either value is missing (None) nothing is computed and
``reason`` names the missing value. Arithmetic is exact on the decimal values
given (0.3 - 0.1 is 0.2, not 0.19999999999999998) and converted to float last.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from clinic.scoring._numbers import Number, to_decimal


@dataclass(frozen=True)
class Change:
    before: Number | None
    after: Number | None
    absolute: float | None
    percent: float | None
    reason: str | None = None


def change_from_baseline(
    before: Number | None, after: Number | None, field: str = "score"
) -> Change:
    """Absolute and percent change; ScoreError (naming ``field``) for non-numbers."""
    missing = [name for name, value in (("before", before), ("after", after)) if value is None]
    if missing:
        return Change(before, after, None, None, f"{' and '.join(missing)} value missing")
    b = Fraction(to_decimal(before, f"{field}.before"))
    a = Fraction(to_decimal(after, f"{field}.after"))
    absolute = a - b
    if b == 0:
        return Change(
            before, after, float(absolute), None, "baseline is 0; percent change is undefined"
        )
    return Change(before, after, float(absolute), float(absolute / b * 100))
