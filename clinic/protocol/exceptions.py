"""Errors raised by the pure protocol modules."""

from __future__ import annotations


class ProtocolError(ValueError):
    """Base of the protocol errors; the message names the offending field."""


class EligibilityError(ProtocolError):
    """Bad criteria definition or bad answers (unknown code, non-boolean answer)."""


class AllocationError(ProtocolError):
    """Bad allocation parameters (arms, ratio, block multipliers, seed, length)."""


class StratumError(ProtocolError):
    """A stratification factor is missing, out of range, or badly defined."""
