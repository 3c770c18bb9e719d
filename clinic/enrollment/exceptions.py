"""Errors of screening, randomization and enrollment."""

from clinic.exceptions import ClinicError


class NotEligible(ClinicError):
    """Enrollment refused: the screening failed; ``failing`` names the criteria."""

    def __init__(self, failing: list[str]) -> None:
        self.failing = failing
        super().__init__("Not eligible: " + "; ".join(failing))


class SequenceExhausted(ClinicError):
    """No unused allocation slot is left in the stratum."""


class SequenceError(ClinicError):
    """The allocation sequence cannot be generated or changed."""
