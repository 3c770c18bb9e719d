"""Errors raised by the scoring package."""

from __future__ import annotations


class ScoreError(ValueError):
    """A value cannot be scored; ``field`` names the offending input, ``others`` the
    other inputs of the same value found wrong with it (field -> message: the sections
    of a questionnaire are named together, not one per try)."""

    def __init__(self, field: str, message: str,
                 others: dict[str, str] | None = None) -> None:
        self.field = field
        self.message = message
        self.others = others or {}
        super().__init__(f"{field}: {message}")
