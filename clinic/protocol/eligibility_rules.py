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
    _inc("age_18_plus", "Adult aged 18 years or older"),
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
