"""What a protocol amendment changes, and whether it may (pure).

Once patients are enrolled, a protocol may grow but must not lose or rewrite what
data were collected under: an amendment may add a timepoint or a measure, change a
window, add a criterion, change wording, or change the matching of a registry. It may
not remove an arm or a timepoint that has data, change an arm's modality or ratio, the
strata or blocks of the randomization, the baseline, or the design type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from clinic.catalog import DRUGS
from clinic.protocol.definition import MeasureDefinition, StudyDefinition
from clinic.scoring.instruments import INSTRUMENTS


def _label(code: str) -> str:
    return INSTRUMENTS[code].label if code in INSTRUMENTS else code


@dataclass(frozen=True)
class Usage:
    """What the database already holds for the study."""

    enrolled: bool = False
    arms_with_patients: frozenset[str] = frozenset()
    timepoints_with_data: frozenset[str] = frozenset()  # completed or not done visits
    scored: frozenset[tuple[str, str]] = frozenset()  # (instrument, timepoint) with values
    criteria_answered: frozenset[str] = frozenset()


@dataclass
class AmendmentPlan:
    changes: list[str] = field(default_factory=list)  # what it does, in words
    refusals: dict[str, str] = field(default_factory=dict)  # field -> why not
    added_timepoints: list[str] = field(default_factory=list)
    removed_timepoints: list[str] = field(default_factory=list)
    moved_timepoints: list[str] = field(default_factory=list)  # offset or window changed
    added_measures: dict[str, list[str]] = field(default_factory=dict)  # instrument -> tps

    @property
    def is_empty(self) -> bool:
        return not self.changes and not self.refusals


def plan_amendment(old: StudyDefinition, new: StudyDefinition, usage: Usage) -> AmendmentPlan:
    plan = AmendmentPlan()
    _fixed(old, new, plan)
    _arms(old, new, usage, plan)
    _timepoints(old, new, usage, plan)
    _measures(old, new, usage, plan)
    _criteria(old, new, usage, plan)
    _wording(old, new, plan)
    return plan


def _fixed(old: StudyDefinition, new: StudyDefinition, plan: AmendmentPlan) -> None:
    if new.code != old.code:
        plan.refusals["code"] = "The study code cannot change."
    if new.design_type != old.design_type:
        plan.refusals["design_type"] = "The design type cannot change once patients exist."
    if new.design_type == old.design_type and (
            (new.strata, new.block_multipliers) != (old.strata, old.block_multipliers)):
        plan.refusals["randomization"] = ("The strata and blocks of a running randomization "
                                          "cannot change.")


def _arms(old: StudyDefinition, new: StudyDefinition, usage: Usage, plan: AmendmentPlan) -> None:
    before = {a.code: a for a in old.arms}
    after = {a.code: a for a in new.arms}
    for code in before.keys() - after.keys():
        if code in usage.arms_with_patients or not old.is_registry:
            plan.refusals[f"arms.{code}"] = f"Arm {code} has patients and cannot be removed."
        else:
            plan.changes.append(f"removed group {code}")
    for code in after.keys() - before.keys():
        if old.is_registry:
            plan.changes.append(f"added group {code} ({after[code].modality})")
        else:
            plan.refusals[f"arms.{code}"] = ("An arm cannot be added to a running "
                                             "randomization.")
    for code in before.keys() & after.keys():
        a, b = before[code], after[code]
        if (a.modality, a.ratio) != (b.modality, b.ratio):
            plan.refusals[f"arms.{code}"] = f"Arm {code}: modality and ratio cannot change."
        elif a.label != b.label:
            plan.changes.append(f"arm {code} renamed “{b.label}”")


def _timepoints(old: StudyDefinition, new: StudyDefinition, usage: Usage,
                plan: AmendmentPlan) -> None:
    before = {t.code: t for t in old.timepoints}
    after = {t.code: t for t in new.timepoints}
    for code in before.keys() - after.keys():
        if code in usage.timepoints_with_data:
            plan.refusals[f"timepoints.{code}"] = (f"Timepoint {before[code].label} has "
                                                   "recorded visits and cannot be removed.")
        else:
            plan.removed_timepoints.append(code)
            plan.changes.append(f"removed timepoint {before[code].label} (no visit recorded)")
    for code in [t.code for t in new.timepoints if t.code not in before]:
        plan.added_timepoints.append(code)
        t = after[code]
        plan.changes.append(f"added timepoint {t.label} (day {t.offset_days}, window "
                            f"−{t.window_before_days}/+{t.window_after_days} days)")
    for code in before.keys() & after.keys():
        a, b = before[code], after[code]
        if a.is_baseline != b.is_baseline:
            plan.refusals[f"timepoints.{code}"] = "The baseline cannot change."
            continue
        if (a.offset_days, a.window_before_days, a.window_after_days) != (
                b.offset_days, b.window_before_days, b.window_after_days):
            plan.moved_timepoints.append(code)
            plan.changes.append(
                f"{b.label}: day {a.offset_days} −{a.window_before_days}/+{a.window_after_days}"
                f" → day {b.offset_days} −{b.window_before_days}/+{b.window_after_days} "
                "(pending visits re-planned)")
        if a.label != b.label:  # also beside a moved window: both are said
            plan.changes.append(f"timepoint {a.label} renamed “{b.label}”")


def _measure_points(m: MeasureDefinition, timepoints: Sequence[str]) -> set[str]:
    return set(timepoints if m.timepoints is None else m.timepoints)


def _measures(old: StudyDefinition, new: StudyDefinition, usage: Usage,
              plan: AmendmentPlan) -> None:
    old_tps = [t.code for t in old.timepoints]
    new_tps = [t.code for t in new.timepoints]
    before = {m.instrument: m for m in old.measures}
    after = {m.instrument: m for m in new.measures}
    labels = {t.code: t.label for t in (*old.timepoints, *new.timepoints)}
    for code in before.keys() | after.keys():
        had = _measure_points(before[code], old_tps) if code in before else set()
        has = _measure_points(after[code], new_tps) if code in after else set()
        lost = {tp for tp in had - has if tp in new_tps or tp in plan.removed_timepoints}
        recorded = sorted(tp for tp in lost if (code, tp) in usage.scored)
        if recorded:
            plan.refusals[f"measures.{code}"] = (
                f"{_label(code)} has values recorded at "
                f"{', '.join(labels.get(tp, tp) for tp in recorded)}: it cannot be removed.")
            continue
        gained = sorted(has - had, key=new_tps.index)
        if gained:
            plan.added_measures[code] = gained
            plan.changes.append(f"added {_label(code)} at "
                                f"{', '.join(labels[tp] for tp in gained)} (pending and future "
                                "visits; recorded ones unchanged)")
        if lost - set(plan.removed_timepoints):
            plan.changes.append(f"removed {_label(code)} at "
                                f"{', '.join(labels[tp] for tp in sorted(lost))} (nothing "
                                "recorded)")
        if code in before and code in after and (
                before[code].strata, before[code].response_categories) != (
                after[code].strata, after[code].response_categories):
            if any(c == code for c, _tp in usage.scored):
                plan.refusals[f"measures.{code}"] = (f"{_label(code)}: who is asked cannot change "
                                                     "once values are recorded.")
            else:
                plan.changes.append(f"{code}: strata or response categories changed")


def _criteria(old: StudyDefinition, new: StudyDefinition, usage: Usage,
              plan: AmendmentPlan) -> None:
    before = {c.code: c for c in old.criteria}
    after = {c.code: c for c in new.criteria}
    for code in before.keys() - after.keys():
        if code in usage.criteria_answered:
            plan.refusals[f"criteria.{code}"] = (f"Criterion {code} was answered at "
                                                 "screenings and cannot be removed.")
        else:
            plan.changes.append(f"removed criterion {code}")
    for code in [c.code for c in new.criteria if c.code not in before]:
        plan.changes.append(f"added {after[code].kind} criterion “{after[code].text}” (new "
                            "screenings only)")
    for code in before.keys() & after.keys():
        if before[code].kind != after[code].kind:
            plan.refusals[f"criteria.{code}"] = f"Criterion {code}: its kind cannot change."
        elif before[code].text != after[code].text:
            plan.changes.append(f"criterion {code} reworded")
        if (before[code].kind == after[code].kind
                and (before[code].age_at_least, before[code].age_at_most)
                != (after[code].age_at_least, after[code].age_at_most)):
            limits = (after[code].age_limits() if after[code].age_at_least is not None
                      or after[code].age_at_most is not None else "no age limits")
            plan.changes.append(f"criterion {code} now checks the age: {limits} (new "
                                "screenings only)")


def _wording(old: StudyDefinition, new: StudyDefinition, plan: AmendmentPlan) -> None:
    for name, label in (("title", "title"), ("design", "design description"),
                        ("consent_version", "consent form version"),
                        ("steroid_cap_mg", "steroid cap"),
                        ("capped_steroid", "capped steroid"), ("matching", "matching"),
                        ("self_report", "patient self-report"),
                        ("roots", "nerve roots asked at enrollment")):
        if getattr(old, name) != getattr(new, name):
            plan.changes.append(f"{label}: {_words(getattr(old, name), name)} → "
                                f"{_words(getattr(new, name), name)}")


# settings stored as a catalog's codes, said by the code's label
CODE_WORDS = {"capped_steroid": DRUGS}


def _words(value: Any, name: str) -> str:
    """A protocol setting as the amendment's summary says it (not Python's repr)."""
    if value is None:
        return "none"
    if name in CODE_WORDS:
        return CODE_WORDS[name].get(value, str(value))
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) if value else "none"
    describe = getattr(value, "describe", None)
    return describe() if callable(describe) else str(value)
