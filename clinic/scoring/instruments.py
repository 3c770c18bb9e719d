"""Declarative registry of outcome instruments.

Adding an instrument is adding an :class:`Instrument` entry: code, label, unit,
kind, range, sections (for section-scored questionnaires), choices (for Likert
scales) and a ``score`` callable. What ``score`` takes and returns by kind:

    scale     -- a number -> the validated number (int if integral, else float)
    sections  -- section scores (sequence or mapping) -> DisabilityScore
    likert    -- a level code or 1-4 score -> Satisfaction
    quantity  -- a number -> the validated number

Every ``score`` raises :class:`ScoreError` naming the field on bad input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from types import MappingProxyType
from typing import Any

from clinic.scoring.disability import NDI_SECTIONS, ODI_SECTIONS, Section, score_disability
from clinic.scoring.exceptions import ScoreError
from clinic.scoring.likert import Satisfaction, parse_satisfaction
from clinic.scoring.quantities import validate_gabapentin, validate_nsaid_reduction, validate_ome
from clinic.scoring.vas import validate_nrs, validate_vas


class InstrumentKind(StrEnum):
    SCALE = "scale"
    SECTIONS = "sections"
    LIKERT = "likert"
    QUANTITY = "quantity"


@dataclass(frozen=True)
class Instrument:
    code: str
    label: str
    unit: str
    kind: InstrumentKind
    min_value: int | float
    max_value: int | float | None
    score: Callable[[Any], Any]
    sections: tuple[Section, ...] = ()
    choices: tuple[tuple[str, str], ...] = ()


_SATISFACTION_CHOICES = tuple((level.value, level.label) for level in Satisfaction)


def _satisfaction(code: str, label: str) -> Instrument:
    return Instrument(
        code,
        label,
        "",
        InstrumentKind.LIKERT,
        1,
        4,
        partial(parse_satisfaction, field=code),
        choices=_SATISFACTION_CHOICES,
    )


def _disability(code: str, label: str, sections: tuple[Section, ...]) -> Instrument:
    return Instrument(
        code,
        label,
        "%",
        InstrumentKind.SECTIONS,
        0,
        100,
        partial(score_disability, code),
        sections=sections,
    )


_ALL = (
    Instrument("vas", "Pain (VAS)", "0-10", InstrumentKind.SCALE, 0, 10, validate_vas),
    Instrument("nrs", "Pain (NRS)", "0-10", InstrumentKind.SCALE, 0, 10, validate_nrs),
    _disability("odi", "Oswestry Disability Index", ODI_SECTIONS),
    _disability("ndi", "Neck Disability Index", NDI_SECTIONS),
    _satisfaction("satisfaction_procedure", "Satisfaction with the procedure"),
    _satisfaction("satisfaction_results", "Satisfaction with the results"),
    Instrument(
        "nsaid_reduction",
        "NSAID reduction",
        "%",
        InstrumentKind.QUANTITY,
        0,
        100,
        validate_nsaid_reduction,
    ),
    Instrument(
        "ome",
        "Opioids (oral morphine equivalents)",
        "mg/day",
        InstrumentKind.QUANTITY,
        0,
        100_000,
        validate_ome,
    ),
    Instrument(
        "gabapentin", "Gabapentin", "mg/day", InstrumentKind.QUANTITY, 0, 20_000,
        validate_gabapentin
    ),
)

INSTRUMENTS: Mapping[str, Instrument] = MappingProxyType({i.code: i for i in _ALL})


def get_instrument(code: str) -> Instrument:
    """The instrument with ``code``; ScoreError(field="instrument") if unknown."""
    try:
        return INSTRUMENTS[code]
    except KeyError:
        known = ", ".join(INSTRUMENTS)
        raise ScoreError("instrument", f"unknown instrument {code!r}; known: {known}") from None


def score(code: str, value: Any) -> Any:
    """Score ``value`` with the instrument ``code`` (see module docstring)."""
    return get_instrument(code).score(value)
