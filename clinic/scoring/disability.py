"""Oswestry Disability Index (ODI) and Neck Disability Index (NDI).

Both have 10 sections scored 0-5. Total % = sum / (5 x sections answered) x 100.
At most one unanswered section is tolerated (the total is then over 45 points);
with two or more unanswered sections no total is given and ``reason`` says why.

Exactness: the total is computed as a :class:`fractions.Fraction`
(``total_exact``, e.g. 16/45 x 100 = 320/9) and ``total_percent`` is that value
rounded half-up to 2 decimals and converted to float. With all 10 sections
answered the total is ``2 x raw_sum`` exactly (16 -> 32.0, never
32.000000000000004), so equal scores tie exactly in medians and ranks. Bands are
decided on ``total_exact``, not on the rounded value.

Only section names are used here; the questionnaire wording is copyrighted by
its owners and is not reproduced.

Severity bands
--------------
ODI -- Fairbank JCT, Pynsent PB. The Oswestry Disability Index. Spine
2000;25(22):2940-2952: 0-20 % minimal disability, 21-40 % moderate, 41-60 %
severe, 61-80 % crippled, 81-100 % bed-bound. The published bands are integer
ranges; for the non-integer totals that arise with a missing section we use
upper-inclusive limits: total <= 20 minimal, <= 40 moderate, <= 60 severe,
<= 80 crippled, else bed-bound.

NDI -- Vernon H, Mior S. The Neck Disability Index: a study of reliability and
validity. J Manipulative Physiol Ther 1991;14(7):409-415 (bands restated in
Vernon H, J Manipulative Physiol Ther 2008;31(7):491-502): raw 0-4 no
disability, 5-14 mild, 15-24 moderate, 25-34 severe, > 34 complete, i.e. on the
% scale 0-8, 10-28, 30-48, 50-68, >= 70. We use half-open intervals on %:
< 10 none, < 30 mild, < 50 moderate, < 70 severe, else complete (identical to the
raw-point bands when all 10 sections are answered).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from clinic.scoring.exceptions import ScoreError

SECTION_MIN = 0
SECTION_MAX = 5
MAX_MISSING_SECTIONS = 1


@dataclass(frozen=True)
class Section:
    code: str
    label: str


def _sections(*labels: str) -> tuple[Section, ...]:
    return tuple(Section(label.lower().replace(" ", "_"), label) for label in labels)


ODI_SECTIONS = _sections(
    "Pain intensity",
    "Personal care",
    "Lifting",
    "Walking",
    "Sitting",
    "Standing",
    "Sleeping",
    "Sex life",
    "Social life",
    "Travelling",
)
NDI_SECTIONS = _sections(
    "Pain intensity",
    "Personal care",
    "Lifting",
    "Reading",
    "Headaches",
    "Concentration",
    "Work",
    "Driving",
    "Sleeping",
    "Recreation",
)
SECTIONS_BY_INSTRUMENT: dict[str, tuple[Section, ...]] = {"odi": ODI_SECTIONS, "ndi": NDI_SECTIONS}


class OdiBand(StrEnum):
    MINIMAL = "minimal"
    MODERATE = "moderate"
    SEVERE = "severe"
    CRIPPLED = "crippled"
    BED_BOUND = "bed_bound"

    @property
    def label(self) -> str:
        return _ODI_LABELS[self]


class NdiBand(StrEnum):
    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"
    COMPLETE = "complete"

    @property
    def label(self) -> str:
        return _NDI_LABELS[self]


# Separate dicts: StrEnum members of both enums with the same value compare equal.
_ODI_LABELS = {
    OdiBand.MINIMAL: "Minimal disability",
    OdiBand.MODERATE: "Moderate disability",
    OdiBand.SEVERE: "Severe disability",
    OdiBand.CRIPPLED: "Crippled",
    OdiBand.BED_BOUND: "Bed-bound",
}
_NDI_LABELS = {
    NdiBand.NONE: "No disability",
    NdiBand.MILD: "Mild disability",
    NdiBand.MODERATE: "Moderate disability",
    NdiBand.SEVERE: "Severe disability",
    NdiBand.COMPLETE: "Complete disability",
}


@dataclass(frozen=True)
class DisabilityScore:
    """Result of scoring ODI/NDI; ``total_percent`` is None when ``reason`` is set."""

    instrument: str
    raw_sum: int
    answered: int
    total_percent: float | None
    band: OdiBand | NdiBand | None
    reason: str | None = None
    total_exact: Fraction | None = None


def odi_band(total: Fraction | Decimal | int | float) -> OdiBand:
    """Fairbank band with upper-inclusive limits (<= 20 minimal, ...)."""
    _check_percent(total)
    for limit, band in (
        (20, OdiBand.MINIMAL),
        (40, OdiBand.MODERATE),
        (60, OdiBand.SEVERE),
        (80, OdiBand.CRIPPLED),
    ):
        if total <= limit:
            return band
    return OdiBand.BED_BOUND


def ndi_band(total: Fraction | Decimal | int | float) -> NdiBand:
    """Vernon & Mior band with half-open limits on % (< 10 none, < 30 mild, ...)."""
    _check_percent(total)
    for limit, band in (
        (10, NdiBand.NONE),
        (30, NdiBand.MILD),
        (50, NdiBand.MODERATE),
        (70, NdiBand.SEVERE),
    ):
        if total < limit:
            return band
    return NdiBand.COMPLETE


def _check_percent(total: Fraction | Decimal | int | float) -> None:
    if isinstance(total, bool) or not 0 <= total <= 100:
        raise ScoreError("total_percent", f"must be within 0-100, got {total!r}")


_BANDERS = {"odi": odi_band, "ndi": ndi_band}

Responses = Sequence[int | None] | Mapping[str, int | None]


def score_disability(instrument: str, responses: Responses) -> DisabilityScore:
    """Score ODI or NDI from 10 section scores (0-5 int, or None if unanswered).

    ``responses`` is either a sequence in section order (see ``ODI_SECTIONS`` /
    ``NDI_SECTIONS``) of length 10, or a mapping section code -> score where
    absent codes count as unanswered and unknown codes are refused.
    """
    sections = SECTIONS_BY_INSTRUMENT.get(instrument)
    if sections is None:
        raise ScoreError("instrument", f"unknown disability instrument {instrument!r}")
    values = _ordered_values(instrument, sections, responses)
    answered = [v for v in values if v is not None]
    raw_sum = sum(answered)
    missing = [s.label.lower() for s, v in zip(sections, values, strict=True) if v is None]
    if len(missing) > MAX_MISSING_SECTIONS:
        reason = (
            f"{len(missing)} of {len(sections)} sections unanswered "
            f"({', '.join(missing)}); at most {MAX_MISSING_SECTIONS} may be missing"
        )
        return DisabilityScore(instrument, raw_sum, len(answered), None, None, reason)
    exact = Fraction(raw_sum * 100, SECTION_MAX * len(answered))
    return DisabilityScore(
        instrument=instrument,
        raw_sum=raw_sum,
        answered=len(answered),
        total_percent=round_percent(exact),
        band=_BANDERS[instrument](exact),
        total_exact=exact,
    )


def round_percent(value: Fraction) -> float:
    """Round an exact percentage half-up to 2 decimals (16/45*100 -> 35.56)."""
    quantized = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    return float(quantized)


def _ordered_values(
    instrument: str, sections: tuple[Section, ...], responses: Responses
) -> list[int | None]:
    if isinstance(responses, Mapping):
        codes = {s.code for s in sections}
        unknown = sorted(set(responses) - codes)
        if unknown:
            raise ScoreError(f"{instrument}.{unknown[0]}", "unknown section")
        values = [responses.get(s.code) for s in sections]
    elif isinstance(responses, Sequence) and not isinstance(responses, str | bytes):
        if len(responses) != len(sections):
            raise ScoreError(instrument, f"expected {len(sections)} sections, got {len(responses)}")
        values = list(responses)
    else:
        raise ScoreError(instrument, "responses must be a sequence or a mapping of section scores")
    values = [_whole(v) for v in values]
    problems: dict[str, str] = {}
    for section, value in zip(sections, values, strict=True):
        try:
            _check_section(f"{instrument}.{section.code}", value)
        except ScoreError as error:
            problems[error.field] = error.message
    if problems:
        first = next(iter(problems))
        raise ScoreError(first, problems.pop(first), others=problems)
    return values


def _whole(value: object) -> object:
    """A section typed "3.0" (or 3.0 in JSON) is the whole number 3; 2.5 stays 2.5 and is
    refused by :func:`_check_section`."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _check_section(field: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScoreError(field, f"Enter a whole number from {SECTION_MIN} to {SECTION_MAX} "
                                f"for this section, or leave it blank (got {str(value)[:20]}).")
    if not SECTION_MIN <= value <= SECTION_MAX:
        raise ScoreError(field,
                         f"Enter {SECTION_MIN} to {SECTION_MAX} for this section (got {value}).")
