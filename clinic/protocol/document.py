"""The protocol file's content, validated (pure: pydantic, no Flask, no database).

A study protocol is one document: what the study is, its arms (or, in a registry, its
comparison groups), timepoints with their windows, the measures at each timepoint,
eligibility criteria, randomization (strata, blocks) or matching (registry). The same
document is read from a TOML file, posted as JSON to the API, edited in the study
builder, and written back by ``study export``. Every problem names its field as a path,
``timepoints[3].window_after_days``, so a file can point to its line.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from clinic import catalog
from clinic.protocol.definition import RANDOMIZED
from clinic.scoring.instruments import INSTRUMENTS
from clinic.selfreport.ladder import CALL_LEAD_DAYS

FORMAT_VERSION = 1
CODE = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
STUDY_CODE = r"^[A-Z0-9][A-Z0-9_-]*$"
MAX_ARMS, MAX_TIMEPOINTS, MAX_CRITERIA, MAX_FACTORS, MAX_BINS = 8, 30, 60, 4, 12
MAX_OFFSET_DAYS = 3_650  # ten years of follow-up
# Baseline variables a registry may match on (besides baseline scores, see below).
BASE_COVARIATES = {"age": "Age", "sex": "Sex (female)", "bmi": "BMI",
                   "symptom_duration_months": "Symptom duration (months)"}
BASELINE_SCORE = "baseline_"  # baseline_<instrument>: the score at the baseline timepoint

# the steroids a study may cap, in the catalog's order of drugs
CAPPED_STEROIDS = tuple(code for code in catalog.DRUGS if code in catalog.STEROIDS)

Code = Annotated[str, Field(min_length=1, max_length=20, pattern=CODE)]
Label = Annotated[str, Field(min_length=1, max_length=100)]


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)


class Arm(Part):
    code: Code
    label: Annotated[str, Field(min_length=1, max_length=200)]
    modality: Literal[tuple(catalog.MODALITIES)]  # type: ignore[valid-type]
    ratio: Annotated[int, Field(ge=1, le=10, strict=True)] = 1


class Timepoint(Part):
    code: Code
    label: Label
    offset_days: Annotated[int, Field(ge=-365, le=MAX_OFFSET_DAYS, strict=True)]
    window_before_days: Annotated[int, Field(ge=0, le=365, strict=True)] = 0
    window_after_days: Annotated[int, Field(ge=0, le=365, strict=True)] = 0
    baseline: bool = False


class Measure(Part):
    instrument: Literal[tuple(catalog.SCORE_RANGES)]  # type: ignore[valid-type]
    timepoints: list[Code] | None = Field(
        None, max_length=MAX_TIMEPOINTS, description="Timepoint codes; omitted: every one")
    strata: list[Code] | None = Field(
        None, max_length=MAX_BINS, description="Only for patients in these strata bins (e.g. "
                                               "the NDI for cervical, the ODI for lumbar)")
    response_categories: bool = Field(
        False, description="NRS/VAS: report the weighted value ((before − after) / before) "
                           "and its response category against the baseline")


class CriterionPart(Part):
    code: Annotated[str, Field(min_length=1, max_length=40, pattern=CODE)]
    kind: Literal["inclusion", "exclusion"]
    text: Annotated[str, Field(min_length=1, max_length=500)]
    # inclusion only: the youngest and oldest age (years at enrollment) it admits
    age_at_least: Annotated[int | None, Field(ge=0, le=120, strict=True)] = None
    age_at_most: Annotated[int | None, Field(ge=0, le=120, strict=True)] = None


class BinPart(Part):
    code: Annotated[str, Field(min_length=1, max_length=20, pattern=CODE)]
    low: Annotated[int, Field(ge=0, le=1_000, strict=True)]
    high: Annotated[int, Field(ge=0, le=1_000, strict=True)]


class Factor(Part):
    name: Annotated[str, Field(min_length=1, max_length=30, pattern=r"^[a-z][a-z0-9_]*$")]
    bins: list[BinPart] = Field(min_length=1, max_length=MAX_BINS)


class Randomization(Part):
    block_multipliers: list[Annotated[int, Field(ge=1, le=10, strict=True)]] = Field(
        default_factory=lambda: [1, 2, 3], min_length=1, max_length=6)
    strata: list[Factor] = Field(default_factory=list, max_length=MAX_FACTORS)


class Matching(Part):
    treated: Code = Field(description="The arm (group) whose patients each get a match")
    covariates: list[Annotated[str, Field(max_length=40)]] = Field(min_length=1, max_length=12)
    caliper_sd: Annotated[float, Field(gt=0, le=2)] | None = Field(
        0.2, description="In SD of the logit of the propensity score; omit for none")


class SelfReport(Part):
    """Patients answer follow-ups by a link (see clinic.selfreport)."""

    reminder_days: list[Annotated[int, Field(ge=0, le=365, strict=True)]] = Field(
        default_factory=lambda: [0, 3, 7], min_length=1, max_length=6,
        description="Days after the window opens: the invitation, then the reminders")
    call_after_days: Annotated[int, Field(ge=0, le=365, strict=True)] | None = Field(
        10, description="Days after the window opens when an unanswered visit becomes a "
                        f"call on the nurse's worklist (at the latest {CALL_LEAD_DAYS} days "
                        "before the window closes); omit for never")
    second_factor: Literal["none", "birth_year", "birth_date"] = Field(
        "none", description="Asked before the questions: the year or date of birth")


class ProtocolDocument(Part):
    format: Literal[1] = FORMAT_VERSION
    code: Annotated[str, Field(min_length=1, max_length=20, pattern=STUDY_CODE)]
    title: Annotated[str, Field(min_length=1, max_length=300)]
    design: Annotated[str, Field(min_length=1, max_length=300)]
    design_type: Literal["randomized", "registry"] = "randomized"
    synthetic: bool = False
    consent_version: Annotated[str, Field(max_length=40)] | None = None
    steroid_cap_mg: Annotated[float, Field(ge=0, le=10_000)] | None = None
    capped_steroid: Literal[CAPPED_STEROIDS] = Field(  # type: ignore[valid-type]
        catalog.DEFAULT_CAPPED_STEROID,
        description="The steroid whose mg per patient steroid_cap_mg caps (other steroids "
                    "are not added in)")
    arms: list[Arm] = Field(min_length=1, max_length=MAX_ARMS)
    timepoints: list[Timepoint] = Field(min_length=1, max_length=MAX_TIMEPOINTS)
    measures: list[Measure] = Field(min_length=1, max_length=len(catalog.SCORE_RANGES))
    criteria: list[CriterionPart] = Field(default_factory=list, max_length=MAX_CRITERIA)
    randomization: Randomization | None = None
    matching: Matching | None = None
    self_report: SelfReport | None = None
    roots: list[Annotated[str, Field(max_length=10)]] = Field(
        default_factory=lambda: list(catalog.ROOTS), max_length=catalog.MAX_ROOTS,
        description="Nerve roots whose radicular laterality enrollment asks (none: not asked)")


Problem = tuple[tuple[Any, ...], str]  # (path, message)


def check_document(doc: ProtocolDocument) -> list[Problem]:
    """The rules that span fields (pydantic checked each field on its own)."""
    problems: list[Problem] = []
    for name, items, key in (("arms", doc.arms, "code"), ("timepoints", doc.timepoints, "code"),
                             ("measures", doc.measures, "instrument"),
                             ("criteria", doc.criteria, "code")):
        problems += _duplicates((name,), items, key)
    problems += _design(doc)
    problems += _schedule(doc)
    problems += _measures(doc)
    problems += _criteria(doc)
    if doc.randomization is not None:
        problems += _strata(doc.randomization)
    if doc.self_report is not None:
        problems += _self_report(doc)
    problems += _roots(doc)
    return problems


def hidden_characters(data: Any) -> list[Problem]:
    """Texts holding NUL, another control character (tab and line breaks excepted) or a
    text-direction override: the database refuses NUL, and the others make a label read
    otherwise than it is stored. Walked without recursion (the document may nest deep)."""
    problems: list[Problem] = []
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack += [((*path, str(k)), v) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [((*path, i), v) for i, v in enumerate(value)]
        elif isinstance(value, str) and ("\x00" in value
                                         or catalog.HIDDEN_CHARACTERS.search(value)):
            problems.append((path, "holds an invisible control or text-direction character "
                                   "(NUL, an escape, a bidirectional override…): type the "
                                   "text again without it"))
    return sorted(problems, key=lambda p: [str(part) for part in p[0]])


def check_raw_lists(data: dict[str, Any]) -> list[Problem]:
    """The cross-field rules that need only the document's lists as given (duplicate
    codes, the nerve roots, windows that overlap): checked also when a field did not
    read, so that a form's problems come in one round, not formats first and duplicates
    after."""
    problems: list[Problem] = []
    for name, key in (("arms", "code"), ("timepoints", "code"), ("measures", "instrument"),
                      ("criteria", "code")):
        items = data.get(name)
        if isinstance(items, list):
            problems += _duplicates((name,), items, key)
    roots = data.get("roots")
    if isinstance(roots, list) and all(isinstance(r, str) for r in roots):
        problems += _root_problems(roots)
    arms, timepoints, measures = (data.get(k) for k in ("arms", "timepoints", "measures"))
    if data.get("design_type", RANDOMIZED) == RANDOMIZED and isinstance(arms, list) and arms:
        problems += _arm_count(len(arms))  # none at all: the field's own check says so
    if _dicts(timepoints) and timepoints:
        problems += _overlaps(_raw_windows(timepoints))  # type: ignore[arg-type]
        baselines = [t.get("code") for t in timepoints if t.get("baseline") is True]
        if not baselines:
            problems.append(NO_BASELINE)
        elif _dicts(measures) and isinstance(baselines[0], str):
            problems += _after_treatment(
                baselines[0], [(m.get("instrument"), m.get("timepoints")) for m in measures])
    return problems


def _dicts(items: Any) -> bool:
    return isinstance(items, list) and all(isinstance(i, dict) for i in items)


def _arm_count(arms: int) -> list[Problem]:
    return [(("arms",), "a randomized study needs at least 2 arms")] if arms < 2 else []


NO_BASELINE: Problem = (("timepoints", 0, "baseline"),
                        "mark one timepoint as the baseline (the visit before the procedure, "
                        "from which the change is measured)")


def _after_treatment(baseline: str, measures: list[tuple[Any, Any]]) -> list[Problem]:
    """A measure about the treatment (satisfaction) asked at the baseline: ``measures``
    is (instrument, timepoint codes or None for every timepoint) in the document's order."""
    problems: list[Problem] = []
    for i, (instrument, codes) in enumerate(measures):
        if instrument in AFTER_TREATMENT and (codes is None or (isinstance(codes, list)
                                                                and baseline in codes)):
            label = INSTRUMENTS[instrument].label
            problems.append((("measures", i, "timepoints"),
                             f"{label} asks about the treatment: ask it at the follow-up "
                             f"timepoints only, not at the baseline ({baseline}); asked at "
                             "every timepoint, it is asked at the baseline too"))
    return problems


def _roots(doc: ProtocolDocument) -> list[Problem]:
    return _root_problems(doc.roots)


def _root_problems(roots: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    for i, root in enumerate(roots):
        if root not in catalog.NERVE_ROOTS:
            problems.append((("roots", i), f"{root!r} is not a nerve root: C1–C8, T1–T12, "
                                           "L1–L5 or S1–S5."))
        elif root in roots[:i]:
            problems.append((("roots", i), f"{root} is listed twice."))
    return problems


def _self_report(doc: ProtocolDocument) -> list[Problem]:
    from clinic.selfreport.screens import patient_measures

    assert doc.self_report is not None
    problems: list[Problem] = []
    days = doc.self_report.reminder_days
    for i in range(1, len(days)):
        if days[i] <= days[i - 1]:
            problems.append((("self_report", "reminder_days", i),
                             "each reminder comes after the one before (days increase)"))
    call = doc.self_report.call_after_days
    if call is not None and days and call <= days[-1]:
        problems.append((("self_report", "call_after_days"),
                         f"the call comes after the last reminder (day {days[-1]}): the "
                         "patient is called when the messages went unanswered"))
    if not patient_measures(m.instrument for m in doc.measures):
        problems.append((("self_report",), "no measure of this study can be answered by the "
                                            "patient (pain, ODI/NDI, satisfaction)"))
    return problems


ROW_WORDS = {"arms": "arm", "timepoints": "timepoint", "criteria": "criterion",
             "strata": "factor", "bins": "bin", "measures": "measure"}


def _duplicates(prefix: tuple[Any, ...], items: list[Any], key: str) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for i, item in enumerate(items):
        value = item.get(key) if isinstance(item, dict) else getattr(item, key, None)
        if not isinstance(value, str) or not value:
            continue  # (a missing or odd code is named by the field's own check)
        if value in seen:
            # counted from 1, as an ordinal: the path beside it counts from 0 ("arms[1]"
            # is the 2nd arm), and "arm 1" there read as arms[1]
            row = f"{ordinal(seen[value] + 1)} {ROW_WORDS.get(prefix[-1], prefix[-1])}"
            problems.append(((*prefix, i, key), f"duplicate {key} {value!r} (the {row} has "
                                                "it too)"))
        seen.setdefault(value, i)
    return problems


def _design(doc: ProtocolDocument) -> list[Problem]:
    problems: list[Problem] = []
    if doc.design_type == RANDOMIZED:
        problems += _arm_count(len(doc.arms))
        if doc.matching is not None:
            problems.append((("matching",), "matching is for registry studies; a randomized "
                                             "study compares its arms as randomized"))
        return problems
    if doc.randomization is not None and doc.randomization.strata:
        problems.append((("randomization",), "a registry does not randomize: remove the "
                                              "randomization section"))
    modalities: dict[str, int] = {}
    for i, arm in enumerate(doc.arms):
        if arm.modality in modalities:
            other = modalities[arm.modality]
            problems.append((("arms", i, "modality"), f"each group of a registry is one "
                             f"guidance modality; {arm.modality!r} is also arms[{other}]"))
        modalities.setdefault(arm.modality, i)
        if arm.ratio != 1:
            problems.append((("arms", i, "ratio"), "a registry has no allocation ratio"))
    if doc.matching is not None:
        problems += _matching(doc)
    return problems


def _matching(doc: ProtocolDocument) -> list[Problem]:
    assert doc.matching is not None
    problems: list[Problem] = []
    if doc.matching.treated not in {a.code for a in doc.arms}:
        problems.append((("matching", "treated"), f"{doc.matching.treated!r} is not an arm code"))
    allowed = set(covariate_names(doc))
    for i, name in enumerate(doc.matching.covariates):
        if name not in allowed:
            problems.append((("matching", "covariates", i),
                             f"{name!r} is not a baseline variable; use one of "
                             f"{', '.join(sorted(allowed))}"))
    return problems


def covariate_names(doc: ProtocolDocument) -> list[str]:
    """Baseline variables available for matching: patient data and baseline scores."""
    baseline = next((t.code for t in doc.timepoints if t.baseline), None)
    scores = [f"{BASELINE_SCORE}{m.instrument}" for m in doc.measures
              if baseline and (m.timepoints is None or baseline in m.timepoints)]
    return [*BASE_COVARIATES, *scores]


Window = tuple[int, Any, int, int, int]  # position, code, offset, days before, days after


def _overlaps(follow_ups: list[Window]) -> list[Problem]:
    """Follow-up windows that overlap, named at the later one's opening."""
    problems: list[Problem] = []
    ordered = sorted(follow_ups, key=lambda w: (w[2], w[0]))
    for first, second in zip(ordered, ordered[1:], strict=False):
        if first[2] + first[4] >= second[2] - second[3]:
            problems.append((("timepoints", second[0], "window_before_days"),
                             f"the window of {second[1]!r} overlaps the window of "
                             f"{first[1]!r}: a visit could count for both"))
    return problems


def _raw_windows(timepoints: list[dict[str, Any]]) -> list[Window]:
    """The follow-ups of a document that did not read whole, those whose days read."""
    found: list[Window] = []
    for i, t in enumerate(timepoints):
        days = [t.get("offset_days"), t.get("window_before_days", 0),
                t.get("window_after_days", 0)]
        if t.get("baseline") is not True and all(
                isinstance(d, int) and not isinstance(d, bool) for d in days):
            found.append((i, t.get("code"), *days))  # type: ignore[arg-type]
    return found


def _schedule(doc: ProtocolDocument) -> list[Problem]:
    problems: list[Problem] = []
    baselines = [i for i, t in enumerate(doc.timepoints) if t.baseline]
    if not baselines:
        problems.append(NO_BASELINE)
    for i in baselines[1:]:
        problems.append((("timepoints", i, "baseline"), "only one timepoint can be the baseline"))
    problems += _overlaps([(i, t.code, t.offset_days, t.window_before_days,
                            t.window_after_days) for i, t in enumerate(doc.timepoints)
                           if not t.baseline])
    if baselines:
        base = doc.timepoints[baselines[0]]
        closes = base.offset_days + base.window_after_days
        if closes > 0:
            problems.append((("timepoints", baselines[0], "window_after_days"),
                             f"the baseline's window closes {closes} day(s) after the "
                             "procedure: a baseline is taken before treatment (entry refuses "
                             "a baseline dated after the procedure), so its window closes on "
                             "the procedure's day at the latest"))
        for i, t in enumerate(doc.timepoints):
            if not t.baseline and t.offset_days < base.offset_days:
                problems.append((("timepoints", i, "offset_days"),
                                 f"{t.label} (day {t.offset_days}) is a follow-up but comes "
                                 f"before the baseline, {base.label} (day "
                                 f"{base.offset_days}): a follow-up is after the baseline"))
    return problems


# measures that ask about the treatment itself: nothing to ask before it
AFTER_TREATMENT = frozenset({"satisfaction_procedure", "satisfaction_results",
                             "nsaid_reduction"})


def _measures(doc: ProtocolDocument) -> list[Problem]:
    codes = {t.code for t in doc.timepoints}
    baseline = next((t.code for t in doc.timepoints if t.baseline), None)
    bins = {b.code for f in (doc.randomization.strata if doc.randomization else []) for b in f.bins}
    has_baseline = any(t.baseline for t in doc.timepoints)
    problems: list[Problem] = []
    for i, measure in enumerate(doc.measures):
        for j, code in enumerate(measure.strata or []):
            if code not in bins:
                problems.append((("measures", i, "strata", j),
                                 f"{code!r} is not a bin of the randomization strata"))
        if measure.response_categories and (measure.instrument not in ("nrs", "vas")
                                            or not has_baseline):
            problems.append((("measures", i, "response_categories"),
                             "response categories need a pain score (nrs or vas) and a "
                             "baseline timepoint"))
        for j, code in enumerate(measure.timepoints or []):
            if code not in codes:
                problems.append((("measures", i, "timepoints", j),
                                 f"{code!r} is not a timepoint of this study"))
        if measure.timepoints is not None and not measure.timepoints:
            problems.append((("measures", i, "timepoints"),
                             "list at least one timepoint, or leave the list out for all"))
    if baseline is not None:
        problems += _after_treatment(baseline, [(m.instrument, m.timepoints)
                                                for m in doc.measures])
    return problems + _unasked_timepoints(doc)


def _unasked_timepoints(doc: ProtocolDocument) -> list[Problem]:
    """A timepoint no measure asks would be a visit with nothing to enter, which a nurse
    could never complete (say, one added by an amendment whose grid column was left
    blank)."""
    asked = {code for m in doc.measures
             for code in (m.timepoints if m.timepoints is not None
                          else [t.code for t in doc.timepoints])}
    return [(("timepoints", i, "code"),
             f"{t.label or t.code} asks no measure: tick at least one in its column of the "
             "measures grid (in a file: list it in a measure's timepoints)")
            for i, t in enumerate(doc.timepoints) if t.code not in asked]


def _criteria(doc: ProtocolDocument) -> list[Problem]:
    problems: list[Problem] = []
    for i, c in enumerate(doc.criteria):
        if c.kind == "exclusion" and (c.age_at_least is not None or c.age_at_most is not None):
            problems.append((("criteria", i, "age_at_least"),
                             "age limits belong to an inclusion criterion (the ages it "
                             "admits)"))
        elif (c.age_at_least is not None and c.age_at_most is not None
              and c.age_at_least > c.age_at_most):
            problems.append((("criteria", i, "age_at_most"),
                             f"the oldest age {c.age_at_most} is below the youngest "
                             f"{c.age_at_least}"))
    return problems


def _strata(randomization: Randomization) -> list[Problem]:
    problems: list[Problem] = []
    problems += _duplicates(("randomization", "strata"), randomization.strata, "name")
    for f, factor in enumerate(randomization.strata):
        where = ("randomization", "strata", f)
        problems += _duplicates((*where, "bins"), factor.bins, "code")
        for b, item in enumerate(factor.bins):
            if item.low > item.high:
                problems.append(((*where, "bins", b, "high"),
                                 f"high {item.high} is below low {item.low}"))
        ordered = sorted(((b, item) for b, item in enumerate(factor.bins)
                          if item.low <= item.high),  # a backwards bin is named above only
                         key=lambda pair: pair[1].low)
        for (_, previous), (b, current) in zip(ordered, ordered[1:], strict=False):
            if current.low <= previous.high:
                problems.append(((*where, "bins", b, "low"),
                                 f"bin {current.code!r} overlaps bin {previous.code!r}"))
            elif current.low > previous.high + 1:
                problems.append(((*where, "bins", b, "low"),
                                 f"gap between bin {previous.code!r} (up to {previous.high}) "
                                 f"and bin {current.code!r} (from {current.low}): "
                                 f"{_span(previous.high + 1, current.low - 1)} would fit no "
                                 "stratum"))
    return problems


def _span(low: int, high: int) -> str:
    """'value 2' or 'values 2–4': the numbers a gap between two bins leaves out."""
    return f"value {low}" if low == high else f"values {low}–{high}"


def ordinal(n: int) -> str:
    """1 → "1st", 2 → "2nd", 11 → "11th", 23 → "23rd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def path_text(path: tuple[Any, ...]) -> str:
    """("timepoints", 3, "window_after_days") → "timepoints[3].window_after_days"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def is_code(text: str) -> bool:
    return bool(re.match(CODE, text))
