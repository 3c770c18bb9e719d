"""Eligibility criteria and their evaluation.

Rule: an inclusion criterion must be answered True, an exclusion criterion must
be answered False. An unanswered criterion (absent or None) makes the patient
not (yet) eligible and is listed in ``unanswered``; a criterion answered the
wrong way is listed in ``failing``. Answers for codes that are not in the
criteria, and non-boolean answers, are refused (a typo must not pass silently).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from clinic.protocol.exceptions import EligibilityError


class CriterionKind(StrEnum):
    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"


@dataclass(frozen=True)
class Criterion:
    code: str
    kind: CriterionKind
    text: str
    # an inclusion criterion's age limits in years at enrollment ("Adult aged 18 or
    # older": at least 18), checked against the age entered at enrollment
    age_at_least: int | None = None
    age_at_most: int | None = None

    def age_limits(self) -> str:
        if self.age_at_least is not None and self.age_at_most is not None:
            return f"{self.age_at_least} to {self.age_at_most} years"
        if self.age_at_least is not None:
            return f"{self.age_at_least} years or older"
        return f"{self.age_at_most} years or younger"


def age_contradictions(criteria: Sequence[Criterion], answers: Mapping[str, bool | None],
                       ages: Sequence[int]) -> dict[str, str]:
    """Criterion code -> why a 'yes' contradicts the age: an inclusion criterion with age
    limits answered yes while every age the patient may have (``ages``: the age given,
    or both ages a birth year allows) is outside them."""
    found: dict[str, str] = {}
    if not ages:
        return found
    for c in criteria:
        if c.kind is not CriterionKind.INCLUSION or answers.get(c.code) is not True:
            continue
        if c.age_at_least is None and c.age_at_most is None:
            continue
        low = c.age_at_least if c.age_at_least is not None else 0
        high = c.age_at_most if c.age_at_most is not None else 200
        if not any(low <= age <= high for age in ages):
            said = " or ".join(str(a) for a in sorted(set(ages)))
            found[c.code] = (f"The patient is {said} at enrollment: this criterion asks "
                             f"{c.age_limits()}. Answer no, or correct the age.")
    return found


@dataclass(frozen=True)
class EligibilityResult:
    is_eligible: bool
    failing: tuple[Criterion, ...]
    unanswered: tuple[Criterion, ...]

    @property
    def is_complete(self) -> bool:
        """All criteria answered (the result is final, eligible or not)."""
        return not self.unanswered


def evaluate(
    criteria: Sequence[Criterion], answers: Mapping[str, bool | None]
) -> EligibilityResult:
    """Evaluate ``answers`` (criterion code -> True/False/None) against ``criteria``."""
    _check_criteria(criteria)
    _check_answers(criteria, answers)
    failing: list[Criterion] = []
    unanswered: list[Criterion] = []
    for criterion in criteria:
        answer = answers.get(criterion.code)
        required = criterion.kind is CriterionKind.INCLUSION  # exclusion: must be False
        if answer is None:
            unanswered.append(criterion)
        elif answer != required:
            failing.append(criterion)
    return EligibilityResult(
        is_eligible=not failing and not unanswered,
        failing=tuple(failing),
        unanswered=tuple(unanswered),
    )


def _check_criteria(criteria: Sequence[Criterion]) -> None:
    seen: set[str] = set()
    for criterion in criteria:
        if criterion.code in seen:
            raise EligibilityError(f"criteria: duplicated code {criterion.code!r}")
        if not isinstance(criterion.kind, CriterionKind):
            raise EligibilityError(f"{criterion.code}.kind: must be a CriterionKind")
        seen.add(criterion.code)


def _check_answers(criteria: Sequence[Criterion], answers: Mapping[str, bool | None]) -> None:
    codes = {criterion.code for criterion in criteria}
    for code, answer in answers.items():
        if code not in codes:
            raise EligibilityError(f"{code}: not a criterion of this study")
        if answer is not None and not isinstance(answer, bool):
            raise EligibilityError(f"{code}: answer must be True, False or None, got {answer!r}")


def _inc(code: str, text: str) -> Criterion:
    return Criterion(code, CriterionKind.INCLUSION, text)


def _exc(code: str, text: str) -> Criterion:
    return Criterion(code, CriterionKind.EXCLUSION, text)


# Bessar et al., "Eligibility criteria" (paraphrased; codes are ours).
SEED_TRIAL_CRITERIA: tuple[Criterion, ...] = (
    Criterion("age_18_plus", CriterionKind.INCLUSION, "Adult aged 18 years or older",
              age_at_least=18),
    _inc(
        "chronic_radicular_lbp",
        "Chronic radicular low back pain with unilateral or bilateral sciatica for more than "
        "6 months, unresponsive to at least 6 weeks of medical treatment",
    ),
    _inc(
        "flexion_pain_paresthesia", "Pain worse on forward flexion, with leg numbness and tingling"
    ),
    _inc("vas_5_plus", "VAS score of 5 or more"),
    _inc(
        "slr_positive_no_motor_deficit",
        "Positive straight leg raise with calf and leg pain, without motor deficit",
    ),
    _inc(
        "mri_disc_pathology",
        "MRI shows disc pathology at one or more of the three lowest lumbar levels, "
        "with no other significant abnormality",
    ),
    _exc("progressive_motor_deficit", "Progressive motor neurological deficit"),
    _exc("over_3_degenerated_discs", "More than three degenerated discs on MRI"),
    _exc(
        "advanced_disc_pathology",
        "Advanced disc pathology: sequestration, extrusion or spondylolisthesis",
    ),
    _exc("moderate_severe_stenosis", "Moderate to severe spinal stenosis"),
    _exc("prior_surgery_target_level", "Prior lumbar surgery at the target level"),
    _exc("deformity_or_fracture", "Spinal deformity or fracture"),
    _exc("systemic_infection", "Systemic infection"),
    _exc("uncontrolled_comorbidity", "Uncontrolled comorbidity"),
    _exc("pregnancy", "Pregnancy"),
    _exc("red_flags", "Red-flag symptoms such as cauda equina syndrome or persistent fever"),
)
