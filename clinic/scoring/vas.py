"""Pain intensity on a 0-10 scale: VAS (seed trial) and NRS (He et al.).

The seed trial (Bessar et al.) records VAS as whole numbers 0-10; clinics that
record a decimal VAS (e.g. measured 6.5 on a 100 mm line read as cm) may use one
decimal place. Accepted: ``int``, ``float`` or ``Decimal`` in [0, 10] with at most
one decimal place. Refused with :class:`ScoreError` naming the field: ``bool``,
strings, NaN/inf, values outside [0, 10], more than one decimal (e.g. 6.25).

The check on decimals uses the value's shortest decimal representation
(``str(6.3) == "6.3"``), so a float typed as ``6.3`` is accepted even though its
binary value is not exactly 6.3.
"""

from __future__ import annotations

from decimal import Decimal

from clinic.scoring._numbers import check_range, plain, shown, to_decimal
from clinic.scoring.exceptions import ScoreError

PAIN_MIN = 0
PAIN_MAX = 10
MAX_DECIMALS = 1


def validate_pain_score(value: object, field: str = "vas") -> int | float:
    """Validate a 0-10 pain score; return it as ``int`` if integral, else ``float``."""
    number = to_decimal(value, field)
    check_range(number, field, PAIN_MIN, PAIN_MAX)
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        raise ScoreError(field, f"Use at most {MAX_DECIMALS} decimal place "
                                f"(got {shown(number)}).")
    return plain(number)


def validate_vas(value: object, field: str = "vas") -> int | float:
    """Validate a Visual Analogue Scale score (0-10)."""
    return validate_pain_score(value, field)


def validate_nrs(value: object, field: str = "nrs") -> int | float:
    """Validate a Numerical Rating Scale score (0-10)."""
    return validate_pain_score(value, field)


def pain_decimal(value: object, field: str) -> Decimal:
    """Validated pain score as an exact Decimal (for arithmetic in other modules)."""
    return Decimal(str(validate_pain_score(value, field)))
