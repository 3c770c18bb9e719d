"""Number coercion shared by the scoring modules (internal).

Values are converted to :class:`decimal.Decimal` through ``str()`` so that
decimal inputs such as ``6.4`` are handled as the decimal the user typed, not as
their binary approximation; results are exact before the final conversion.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from clinic.scoring.exceptions import ScoreError

Number = int | float | Decimal


def to_decimal(value: object, field: str) -> Decimal:
    """Return ``value`` as a finite Decimal; ScoreError naming ``field`` otherwise."""
    if isinstance(value, str):
        raise ScoreError(field, f"Enter a number (got {value[:40]!r}): digits, with a point "
                                "or a comma for decimals and no thousands separator (1200, "
                                "not 1.200 or 1,200).")
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ScoreError(field, f"must be a number, got {type(value).__name__}")
    try:
        result = Decimal(value) if isinstance(value, int) else Decimal(str(value))
    except InvalidOperation as exc:  # pragma: no cover - str() of a float always parses
        raise ScoreError(field, f"not a number: {value!r}") from exc
    if not result.is_finite():
        raise ScoreError(field, f"must be a finite number, got {value!r}")
    return result


def check_range(value: Decimal, field: str, low: Decimal | int, high: Decimal | int | None) -> None:
    """Raise ScoreError unless ``low <= value <= high`` (``high=None``: no upper bound)."""
    if value < low or (high is not None and value > high):
        allowed = f"of {low} or more" if high is None else f"from {low} to {high}"
        raise ScoreError(field, f"Enter a value {allowed} (got {shown(value)}).")


def shown(value: Decimal) -> str:
    """A number as a message names it: as written where that is short, else by its size
    (300 digits pasted in a box read "1E+300", a 0.000…1 read "1E-301")."""
    if value.is_finite() and -20 < value.adjusted() < 20:
        text = format(value, "f")
        if len(text) <= 20:
            return text
    if not value.is_finite() or value.adjusted() >= 0:
        return f"a number of {value.adjusted() + 1} digits" if value.is_finite() else str(value)
    return f"a number with {-value.normalize().as_tuple().exponent} decimal places"


def plain(value: Decimal) -> int | float:
    """An int when ``value`` is integral, else a float."""
    return int(value) if value == value.to_integral_value() else float(value)
