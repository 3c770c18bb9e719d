"""A study protocol as plain data: what the study is, before any patient exists."""

from __future__ import annotations

from dataclasses import dataclass, field

from clinic.catalog import DEFAULT_CAPPED_STEROID, ROOTS
from clinic.protocol.allocation import Bin, StratificationFactor
from clinic.protocol.eligibility_rules import Criterion
from clinic.scheduling.windows import TimepointSpec
from clinic.selfreport.ladder import LadderSpec


@dataclass(frozen=True)
class ArmDefinition:
    code: str
    label: str
    modality: str
    ratio: int = 1


@dataclass(frozen=True)
class MeasureDefinition:
    instrument: str
    timepoints: tuple[str, ...] | None = None  # None: every timepoint
    strata: tuple[str, ...] | None = None  # None: every patient; else these bin codes only
    response_categories: bool = False  # NRS/VAS: weighted value and category vs baseline


@dataclass(frozen=True)
class MatchingSpec:
    """Propensity-score matching of a registry (observational) study.

    ``treated`` is the arm (group) whose patients each get a match from the others;
    ``covariates`` name baseline variables (see clinic.protocol.document.COVARIATES);
    ``caliper_sd`` is in standard deviations of the logit of the score (None: none).
    """

    treated: str
    covariates: tuple[str, ...]
    caliper_sd: float | None = 0.2

    def describe(self) -> str:
        caliper = ("no caliper" if self.caliper_sd is None
                   else f"caliper {self.caliper_sd:g} SD")
        return f"{self.treated} matched on {', '.join(self.covariates)}, {caliper}"


RANDOMIZED, REGISTRY = "randomized", "registry"
DESIGN_TYPES = {RANDOMIZED: "Randomized trial",
                REGISTRY: "Registry (observational, not randomized)"}


@dataclass(frozen=True)
class StudyDefinition:
    code: str
    title: str
    design: str
    arms: tuple[ArmDefinition, ...]
    timepoints: tuple[TimepointSpec, ...]
    measures: tuple[MeasureDefinition, ...]
    criteria: tuple[Criterion, ...] = ()
    strata: tuple[StratificationFactor, ...] = ()
    block_multipliers: tuple[int, ...] = (1, 2, 3)
    steroid_cap_mg: float | None = None
    capped_steroid: str = DEFAULT_CAPPED_STEROID  # the steroid the cap counts
    is_synthetic: bool = False
    notes: dict[str, str] = field(default_factory=dict)
    design_type: str = RANDOMIZED
    consent_version: str | None = None
    matching: MatchingSpec | None = None
    self_report: LadderSpec | None = None  # None: staff collect every follow-up
    roots: tuple[str, ...] = ROOTS  # nerve roots whose laterality enrollment asks

    @property
    def is_registry(self) -> bool:
        return self.design_type == REGISTRY

    @property
    def arm_ratios(self) -> dict[str, int]:
        return {arm.code: arm.ratio for arm in self.arms}


def strata_to_json(strata: tuple[StratificationFactor, ...]) -> list[dict[str, object]]:
    return [
        {"name": f.name, "bins": [{"code": b.code, "low": b.low, "high": b.high} for b in f.bins]}
        for f in strata
    ]


def strata_from_json(rules: list[dict[str, object]]) -> tuple[StratificationFactor, ...]:
    return tuple(
        StratificationFactor(
            str(rule["name"]),
            tuple(Bin(str(b["code"]), int(b["low"]), int(b["high"]))  # type: ignore[index]
                  for b in rule["bins"]),  # type: ignore[attr-defined]
        )
        for rule in rules
    )


def all_strata(strata: tuple[StratificationFactor, ...]) -> list[str]:
    """Every stratum code (the product of the factors' bins)."""
    from itertools import product

    from clinic.protocol.allocation import STRATUM_SEPARATOR

    if not strata:
        return ["all"]
    return [STRATUM_SEPARATOR.join(codes)
            for codes in product(*[[b.code for b in f.bins] for f in strata])]
