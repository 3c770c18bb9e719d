"""Errors raised by the scoring package."""

from __future__ import annotations


class ScoreError(ValueError):
    """A value cannot be scored; ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
