"""Medication quantities: NSAID reduction (%) and gabapentin (mg/day).

NSAID reduction is the percentage by which NSAID use fell relative to before the
procedure (seed trial Table 5: median 70 %), 0-100; an increase is not a
"reduction" and is refused. Gabapentin is stored in mg/day (He et al. report
g/day: 1.38 g/day = 1380 mg/day), 0 to 20,000. OME has its own module
(:mod:`clinic.scoring.opioids`); an OME total is validated here as >= 0 mg/day.
"""

from __future__ import annotations

from clinic.scoring._numbers import check_range, plain, to_decimal

# Upper bounds that no real daily dose reaches (they keep typing errors and inf out).
GABAPENTIN_MAX = 20_000  # mg/day; the licensed maximum is 3,600
OME_MAX = 100_000  # mg/day


def validate_nsaid_reduction(value: object, field: str = "nsaid_reduction") -> int | float:
    number = to_decimal(value, field)
    check_range(number, field, 0, 100)
    return plain(number)


def validate_gabapentin(value: object, field: str = "gabapentin") -> int | float:
    number = to_decimal(value, field)
    check_range(number, field, 0, GABAPENTIN_MAX)
    return plain(number)


def validate_ome(value: object, field: str = "ome") -> int | float:
    number = to_decimal(value, field)
    check_range(number, field, 0, OME_MAX)
    return plain(number)
