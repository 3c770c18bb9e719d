"""Protocol files in TOML: read (with the line of each problem), write, and convert to and
from the study definition the services use (pure: no Flask, no database).

TOML is human-writable and carries no surprises (no implicit types, unlike YAML's
"no" becoming false). Reading uses the standard library's tomllib; writing, tomli-w.
Problems are reported as ``path: message`` with the line where the format allows:
``line 41, timepoints[3].window_after_days: must be ≥ 0``.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from typing import Any

import tomli_w
from pydantic import ValidationError as SchemaError

from clinic.protocol.allocation import Bin, StratificationFactor
from clinic.protocol.definition import (
    ArmDefinition,
    MatchingSpec,
    MeasureDefinition,
    StudyDefinition,
)
from clinic.protocol.document import (
    Arm,
    BinPart,
    CriterionPart,
    Factor,
    Matching,
    Measure,
    ProtocolDocument,
    Randomization,
    SelfReport,
    Timepoint,
    check_document,
    check_raw_lists,
    hidden_characters,
    path_text,
)
from clinic.protocol.eligibility_rules import Criterion, CriterionKind
from clinic.scheduling.windows import TimepointSpec
from clinic.schema_words import schema_message
from clinic.selfreport.ladder import LadderSpec

MAX_FILE = 200_000  # characters
# A protocol's keys and table names have at most 3 parts ([[arms]], randomization.strata);
# Python's TOML reader takes time growing with the square of a dotted key's parts (60,000
# parts: a minute), so a line whose key has more is refused before it is read.
MAX_KEY_PARTS = 16
_KEY_OF_LINE = re.compile(r"""^[ \t]*(?:\[+([^\]\n]*)|([\w\-."' ]+)=)""", re.MULTILINE)


@dataclass(frozen=True)
class ProtocolProblem:
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line else ""
        return f"{where}{self.path}: {self.message}"


class ProtocolFileError(ValueError):
    """The protocol is refused; ``problems`` says where and why, each on its own."""

    def __init__(self, problems: list[ProtocolProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def as_errors(self) -> dict[str, str]:
        return {p.path: (f"line {p.line}: " if p.line else "") + p.message for p in self.problems}


def read_toml(text: str) -> ProtocolDocument:
    """Parse and validate a protocol file; ProtocolFileError with every problem. A
    leading byte-order mark (Windows editors write one) is no content."""
    text = text.removeprefix("\ufeff")
    if len(text) > MAX_FILE:
        raise ProtocolFileError([ProtocolProblem("(file)", f"larger than {MAX_FILE} characters")])
    _refuse_long_keys(text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"at line (\d+)", str(error))
        line = getattr(error, "lineno", None) or (int(found.group(1)) if found else None)
        raise ProtocolFileError([ProtocolProblem("(file)", f"not valid TOML: {error}",
                                                 line)]) from error
    except RecursionError as error:  # arrays or tables nested thousands deep
        raise ProtocolFileError([ProtocolProblem("(file)", "not valid TOML: nested too "
                                                 "deeply to be a protocol")]) from error
    return validate_data(data, lines=TomlLines(text))


def _refuse_long_keys(text: str) -> None:
    for found in _KEY_OF_LINE.finditer(text):
        key = found.group(1) if found.group(1) is not None else found.group(2)
        if key.count(".") >= MAX_KEY_PARTS:
            line = text.count("\n", 0, found.start()) + 1
            raise ProtocolFileError([ProtocolProblem(
                "(file)", f"not valid TOML: a key or table name of {key.count('.') + 1} "
                          "parts nests too deeply to be a protocol", line)])


def validate_data(data: Any, lines: TomlLines | None = None) -> ProtocolDocument:
    """Validate the document's data (from TOML or from JSON)."""
    if not isinstance(data, dict):
        raise ProtocolFileError([ProtocolProblem("(document)", "must be an object/table")])
    hidden = hidden_characters(data)
    if hidden:
        raise ProtocolFileError([_problem(path, message, lines) for path, message in hidden])
    try:
        doc = ProtocolDocument.model_validate(data)
    except SchemaError as error:
        problems = [_problem(tuple(e["loc"]), schema_message(e), lines) for e in error.errors()]
        named = {p.path for p in problems}
        problems += [problem for problem in (_problem(path, message, lines)
                                             for path, message in check_raw_lists(data))
                     if problem.path not in named]
        raise ProtocolFileError(problems) from error
    problems = check_document(doc)
    if problems:
        raise ProtocolFileError([_problem(path, message, lines) for path, message in problems])
    return doc


def _problem(path: tuple[Any, ...], message: str, lines: TomlLines | None) -> ProtocolProblem:
    clean = tuple(p for p in path if not (isinstance(p, str) and ("[" in p or p in _TAGS)))
    return ProtocolProblem(path_text(clean), message, lines.find(clean) if lines else None)


_TAGS = frozenset({"int", "float", "str", "bool", "list", "dict", "none", "constrained-str"})


class TomlLines:
    """Where each table, array-of-tables entry and key of a TOML text starts (1-based)."""

    HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?\s*(#.*)?$")
    KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")

    def __init__(self, text: str) -> None:
        self.where: dict[tuple[Any, ...], int] = {}
        counters: dict[tuple[Any, ...], int] = {}
        table: tuple[Any, ...] = ()
        for number, line in enumerate(text.splitlines(), start=1):
            header = self.HEADER.match(line)
            if header:
                table = self._table(header.group(1), header.group(2).split("."), counters)
                self.where.setdefault(table, number)
                continue
            key = self.KEY.match(line)
            if key:
                self.where.setdefault((*table, key.group(1)), number)

    def _table(self, bracket: str, names: list[str], counters: dict[tuple[Any, ...], int]
               ) -> tuple[Any, ...]:
        path: tuple[Any, ...] = ()
        for depth, name in enumerate(names):
            path = (*path, name)
            last = depth == len(names) - 1
            if last and bracket == "[[":
                counters[path] = counters.get(path, -1) + 1
                for key in [k for k in counters if len(k) > len(path) and k[:len(path)] == path]:
                    del counters[key]  # nested arrays start again under a new entry
                path = (*path, counters[path])
            elif path in counters:
                path = (*path, counters[path])
        return path

    def find(self, path: tuple[Any, ...]) -> int | None:
        for end in range(len(path), 0, -1):
            if path[:end] in self.where:
                return self.where[path[:end]]
        return None


def fingerprint(doc: ProtocolDocument) -> str:
    """A short digest of the whole document: the builder's form carries the one it was
    opened with, so that a save from a stale tab is refused instead of undoing a save
    made since."""
    return hashlib.sha256(doc.model_dump_json().encode()).hexdigest()[:20]


def write_toml(doc: ProtocolDocument) -> str:
    """The document as a TOML file, in a fixed order (export, round-trips)."""
    trimmed = doc.model_dump(exclude_none=True, exclude_defaults=True)
    stated = {"format", "code", "title", "design", "design_type"}
    if doc.steroid_cap_mg is not None:
        stated.add("capped_steroid")  # a cap names its steroid, the default one too
    data = {name: trimmed[name] if name in trimmed else getattr(doc, name)
            for name in ProtocolDocument.model_fields if name in trimmed or name in stated}
    header = ("# clinic study protocol (format 1). Validate with:\n"
              "#   flask --app clinic study validate FILE\n")
    return header + tomli_w.dumps(data, multiline_strings=False)


def in_time_order(timepoints: list[Timepoint]) -> list[Timepoint]:
    """The timepoints by their day after the procedure, the baseline first among those of
    its day, in the order given where days are equal: the order every list, schedule and
    table of the study shows them in, whatever order they were typed in."""
    return sorted(timepoints, key=lambda t: (t.offset_days, not t.baseline))


def to_definition(doc: ProtocolDocument) -> StudyDefinition:
    r = doc.randomization or Randomization()
    return StudyDefinition(
        code=doc.code, title=doc.title, design=doc.design, design_type=doc.design_type,
        arms=tuple(ArmDefinition(a.code, a.label, a.modality, a.ratio) for a in doc.arms),
        timepoints=tuple(TimepointSpec(t.code, t.label, t.offset_days, t.window_before_days,
                                       t.window_after_days, is_baseline=t.baseline)
                         for t in in_time_order(doc.timepoints)),
        measures=tuple(MeasureDefinition(
            m.instrument, tuple(m.timepoints) if m.timepoints is not None else None,
            tuple(m.strata) if m.strata is not None else None, m.response_categories)
            for m in doc.measures),
        criteria=tuple(Criterion(c.code, CriterionKind(c.kind), c.text, c.age_at_least,
                                 c.age_at_most) for c in doc.criteria),
        strata=tuple(StratificationFactor(f.name, tuple(Bin(b.code, b.low, b.high)
                                                        for b in f.bins)) for f in r.strata),
        block_multipliers=tuple(r.block_multipliers), steroid_cap_mg=doc.steroid_cap_mg,
        capped_steroid=doc.capped_steroid,
        is_synthetic=doc.synthetic, consent_version=doc.consent_version,
        matching=MatchingSpec(doc.matching.treated, tuple(doc.matching.covariates),
                              doc.matching.caliper_sd) if doc.matching else None,
        self_report=LadderSpec(tuple(doc.self_report.reminder_days),
                               doc.self_report.call_after_days,
                               doc.self_report.second_factor) if doc.self_report else None,
        roots=tuple(doc.roots),
    )


def from_definition(d: StudyDefinition) -> ProtocolDocument:
    randomized = not d.is_registry
    return ProtocolDocument(
        code=d.code, title=d.title, design=d.design, design_type=d.design_type,  # type: ignore[arg-type]
        synthetic=d.is_synthetic, consent_version=d.consent_version,
        steroid_cap_mg=d.steroid_cap_mg, capped_steroid=d.capped_steroid,  # type: ignore[arg-type]
        roots=list(d.roots),
        arms=[Arm(code=a.code, label=a.label, modality=a.modality, ratio=a.ratio)
              for a in d.arms],
        timepoints=[Timepoint(code=t.code, label=t.label, offset_days=t.offset_days,
                              window_before_days=t.window_before_days,
                              window_after_days=t.window_after_days, baseline=t.is_baseline)
                    for t in d.timepoints],
        measures=[Measure(instrument=m.instrument,
                          timepoints=list(m.timepoints) if m.timepoints is not None else None,
                          strata=list(m.strata) if m.strata is not None else None,
                          response_categories=m.response_categories)
                  for m in d.measures],
        criteria=[CriterionPart(code=c.code, kind=str(c.kind), text=c.text,  # type: ignore[arg-type]
                                age_at_least=c.age_at_least, age_at_most=c.age_at_most)
                  for c in d.criteria],
        randomization=Randomization(
            block_multipliers=list(d.block_multipliers),
            strata=[Factor(name=f.name, bins=[BinPart(code=b.code, low=b.low, high=b.high)
                                               for b in f.bins]) for f in d.strata],
        ) if randomized else None,
        matching=Matching(treated=d.matching.treated, covariates=list(d.matching.covariates),
                          caliper_sd=d.matching.caliper_sd) if d.matching else None,
        self_report=SelfReport(reminder_days=list(d.self_report.reminder_days),
                               call_after_days=d.self_report.call_after_days,
                               second_factor=d.self_report.second_factor)  # type: ignore[arg-type]
        if d.self_report else None,
    )
