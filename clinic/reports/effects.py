"""Effect sizes per outcome × timepoint × comparison of arms, for meta-analysis: the
report's XLSX sheet "Effect sizes" and ``GET /api/v1/studies/{code}/effect-sizes``.

Continuous outcomes (VAS/NRS, ODI/NDI …): mean difference and Hedges' g, from each arm's
recorded values (exact means and SDs, so ``estimated`` is false). Pain responders
(≥ 50 % and ≥ 30 % reduction from baseline, patients with both values) and complications
(any adverse event of a treated patient): risk ratio and odds ratio. Each comparison is
the earlier arm of the protocol against a later one (A vs B: A − B, A / B).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from itertools import combinations
from typing import Any

import numpy as np

from clinic.reports.cells import Arms
from clinic.reports.data import StudyData
from clinic.reports.outcomes import outcome_instruments
from clinic.reports.safety import score_column
from clinic.scoring.instruments import INSTRUMENTS
from clinic.stats.effect_sizes import (
    Effect,
    MeanSD,
    hedges_g,
    mean_difference,
    odds_ratio,
    risk_ratio,
)

PAIN = ("vas", "nrs")
RESPONDER_CUTS = (0.5, 0.3)


@dataclass(frozen=True)
class EffectRow:
    outcome: str
    timepoint: str
    comparison: str  # "A vs B"
    arm_1: str  # the arms' labels: "Group A: fluoroscopy-guided"
    arm_2: str
    measure: str  # MD, SMD, RR, OR
    n1: int
    n2: int
    group_1: str  # "mean 3.1 (SD 1.2)" or "12/40"
    group_2: str
    estimate: float  # MD, g, RR or OR
    ci_low: float
    ci_high: float
    yi: float  # the effect as metafor's escalc gives it (log RR, log OR)
    vi: float
    estimated: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


COLUMNS = ("outcome", "timepoint", "comparison", "arm_1", "arm_2", "measure", "n1", "n2",
           "group_1", "group_2", "estimate", "ci_low", "ci_high", "yi", "vi", "estimated")


def effect_rows(data: StudyData, arms: Arms) -> list[EffectRow]:
    rows: list[EffectRow] = []
    pairs = list(combinations(arms.codes, 2))
    labels = arms.labels
    baseline = data.study.baseline
    in_arm = {code: (data.patients["arm"] == code).to_numpy(dtype=bool) for code in arms.codes}
    for code in outcome_instruments(data):
        label = INSTRUMENTS[code].label
        for tp in data.study.timepoints_of(code):
            values = _values(data, code, tp)
            for one, two in pairs:
                rows += _continuous(label, data.study.label_of(tp), one, two, values, in_arm)
            if code in PAIN and baseline and tp != baseline:
                rows += _responders(label, data.study.label_of(tp), pairs, values,
                                    _values(data, code, baseline), in_arm)
    rows += _complications(data, pairs)
    return [replace(r, arm_1=labels[r.comparison.split(" vs ")[0]],
                    arm_2=labels[r.comparison.split(" vs ")[1]]) for r in rows]


def _values(data: StudyData, code: str, tp: str) -> np.ndarray:
    """Each patient's value of ``code`` at ``tp`` (NaN: missing), in patient order."""
    return score_column(data, code, tp)["value"].to_numpy(dtype=float)


def _continuous(label: str, at: str, one: str, two: str, values: np.ndarray,
                in_arm: dict[str, np.ndarray]) -> list[EffectRow]:
    groups = [_mean_sd(values[in_arm[arm]]) for arm in (one, two)]
    if any(g is None for g in groups):
        return []
    first, second = groups  # type: ignore[misc]
    found = [mean_difference(first, second)]
    if first.sd > 0 or second.sd > 0:
        found.append(hedges_g(first, second))
    return [_row(label, at, f"{one} vs {two}", e, first.n, second.n, _describe(first),
                 _describe(second)) for e in found]


def _responders(label: str, at: str, pairs: list[tuple[str, str]], after: np.ndarray,
                before: np.ndarray, in_arm: dict[str, np.ndarray]) -> list[EffectRow]:
    both = ~np.isnan(after) & ~np.isnan(before) & (before > 0)
    reduction = np.where(both, (before - after) / np.where(before > 0, before, 1), np.nan)
    rows = []
    for cut in RESPONDER_CUTS:
        name = f"{label}: responders (≥ {cut:.0%} reduction from baseline)"
        for one, two in pairs:
            counts = [_events(reduction[both & in_arm[arm]] >= cut) for arm in (one, two)]
            rows += _binary(name, at, one, two, counts)
    return rows


def _complications(data: StudyData, pairs: list[tuple[str, str]]) -> list[EffectRow]:
    treated = data.procedures["subject"].drop_duplicates()
    arm = data.procedure_arms()[treated.index].to_numpy(dtype=object)
    had_event = treated.isin(data.events["subject"]).to_numpy(dtype=bool)
    rows = []
    for one, two in pairs:
        counts = [_events(had_event[arm == code]) for code in (one, two)]
        rows += _binary("Complications (any adverse event)", "after the procedure", one, two,
                        counts)
    return rows


def _binary(name: str, at: str, one: str, two: str,
            counts: list[tuple[int, int]]) -> list[EffectRow]:
    (e1, n1), (e2, n2) = counts
    if n1 == 0 or n2 == 0 or (e1 == 0 and e2 == 0) or (e1 == n1 and e2 == n2):
        return []  # no contrast: both arms without events (or all with), uninformative
    return [_row(name, at, f"{one} vs {two}", effect(e1, n1, e2, n2), n1, n2,
                 f"{e1}/{n1}", f"{e2}/{n2}") for effect in (risk_ratio, odds_ratio)]


def _events(flags: np.ndarray) -> tuple[int, int]:
    return int(flags.sum()), int(flags.size)


def _mean_sd(values: np.ndarray) -> MeanSD | None:
    values = values[~np.isnan(values)]
    if values.size < 2:
        return None
    return MeanSD(int(values.size), float(values.mean()), float(values.std(ddof=1)))


def _describe(group: MeanSD) -> str:
    return f"mean {group.mean:.2f} (SD {group.sd:.2f})"


def _row(outcome: str, at: str, comparison: str, e: Effect, n1: int, n2: int, g1: str,
         g2: str) -> EffectRow:
    return EffectRow(outcome, at, comparison, "", "", e.measure, n1, n2, g1, g2, e.estimate,
                     e.ci_low, e.ci_high, e.yi, e.vi, e.estimated)
