"""The study builder's form ↔ the protocol document (no database).

Rows are numbered form fields (``arm-0-code``, ``tp-2-offset_days``, ``criterion-4-text``,
``factor-0-bin-1-low``); blank rows are left out. The measures are a grid of checkboxes,
``m-<instrument>-<timepoint code>``. A problem of the document (``arms[1].label``) is
shown next to the form field it came from (``arm-3-label`` when rows 1 and 2 were blank).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

from clinic.catalog import SCORE_RANGES
from clinic.protocol.document import (
    MAX_ARMS,
    MAX_BINS,
    MAX_CRITERIA,
    MAX_TIMEPOINTS,
    BinPart,
    Factor,
    ProtocolDocument,
)
from clinic.web.forms import MAX_NUMBER_TEXT, number

ARM_ROWS, TIMEPOINT_ROWS, CRITERION_ROWS, FACTOR_ROWS, BIN_ROWS = 6, 14, 16, 2, 6  # at least
SPARE_ROWS = 2  # empty rows after the last one filled in, up to the protocol's most
ARM_FIELDS = ("code", "label", "modality", "ratio")
TP_FIELDS = ("code", "label", "offset_days", "window_before_days", "window_after_days")
CRITERION_FIELDS = ("code", "kind", "text", "age_at_least", "age_at_most")
# Parts of the protocol a post of the form may not hold, kept as they were then: the
# SYNTHETIC flag (never on the form: the protocol file sets it) and self-report (on the
# form, but a hand-made post without its section, ``sr-form``, does not turn it off).
NOT_ON_FORM = ("synthetic", "self_report")
SECOND_FACTORS = {"none": "nothing more (the link alone)", "birth_year": "the year of birth",
                  "birth_date": "the date of birth"}


# The longest text each field's column stores (clinic.models.study), as the inputs'
# maxlength: a longer one is refused on saving, the typed text kept on the form.
INPUT_LIMITS = {"code": 20, "title": 300, "design": 300, "consent_version": 40,
                "arm-code": 20, "arm-label": 200, "tp-code": 20, "tp-label": 100,
                "criterion-code": 40, "criterion-text": 500}
NUMBER_FIELDS = ("ratio", "offset_days", "window_before_days", "window_after_days",
                 "age_at_least", "age_at_most", "low", "high", "steroid_cap_mg",
                 "matching-caliper_sd", "sr-call_after_days")


def _longest(model: type[Any], field: str) -> int:
    """The ``max_length`` of a field of the protocol document."""
    return next(m.max_length for m in model.model_fields[field].metadata
                if getattr(m, "max_length", None) is not None)


# the stratification factors' names and their bins' codes: the protocol's own limits
FACTOR_LIMITS = {"factor-name": _longest(Factor, "name"), "bin-code": _longest(BinPart, "code")}


def input_limit(name: str) -> int | None:
    """The ``maxlength`` of the builder's input ``name`` (``None``: a list, checked on
    saving only)."""
    row = re.fullmatch(r"(arm|tp|criterion)-\d+-(\w+)", name)
    key = f"{row.group(1)}-{row.group(2)}" if row else name
    if key in INPUT_LIMITS:
        return INPUT_LIMITS[key]
    if re.fullmatch(r"factor-\d+-name", name):
        return FACTOR_LIMITS["factor-name"]
    if re.fullmatch(r"factor-\d+-bin-\d+-code", name):
        return FACTOR_LIMITS["bin-code"]
    if name.endswith(NUMBER_FIELDS):
        return MAX_NUMBER_TEXT
    return None


def _text(form: MultiDict[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def _number(form: MultiDict[str, str], name: str) -> Any:
    return _typed_number(form.get(name))


def _typed_number(text: str | None) -> Any:
    """A typed number as the forms read one (clinic.web.forms.number); a text they refuse
    ("1.200", "1,000", "1e1") reaches the document's check as no number at all: its lax
    parsing read "1.200" as 1.2, where a German keyboard writes twelve hundred so."""
    value = number(text)
    return f"not a number: {value}" if isinstance(value, str) else value


def _rows(form: MultiDict[str, str], prefix: str, fields: tuple[str, ...], count: int,
          ) -> list[tuple[int, dict[str, str]]]:
    found = []
    for i in range(count):
        values = {f: _text(form, f"{prefix}-{i}-{f}") for f in fields}
        if any(values.values()):
            found.append((i, values))
    return found


def rows_to_show(values: Any, prefix: str, fields: tuple[str, ...], shown: int,
                 most: int) -> range:
    """The rows of a table the page shows: at least ``shown``, and always a couple of
    empty ones after the last filled in, up to the protocol's most (a study using all 16
    criterion rows gets room for a 17th)."""
    filled = [i for i in range(most)
              if any(values.get(f"{prefix}-{i}-{field}") for field in fields)]
    return range(min(most, max(shown, filled[-1] + 1 + SPARE_ROWS if filled else 0)))


def _criterion(row: dict[str, str]) -> dict[str, Any]:
    """A criterion's row; its age limits are numbers, left out when blank."""
    ages = {k: _typed_number(row[k]) for k in CRITERION_FIELDS[3:] if row[k]}
    return {k: row[k] for k in CRITERION_FIELDS[:3]} | ages


class FormDocument:
    """The document data read from the form, and where each part came from."""

    def __init__(self, form: MultiDict[str, str]) -> None:
        self.form = form
        self.origin: dict[tuple[str, int], int] = {}  # ("arms", doc index) -> form row
        self.instruments: list[str] = []  # measures[i] -> instrument
        self.read_from_form: set[str] = set()  # parts of NOT_ON_FORM this form did have
        self.data = self._read()

    def keep_what_the_form_cannot_show(self, stored: ProtocolDocument) -> None:
        hidden = {name for name in NOT_ON_FORM if name not in self.read_from_form}
        kept = stored.model_dump(mode="json", include=hidden, exclude_none=True)
        self.data = {**kept, **self.data}

    def _indexed(self, key: str, rows: list[tuple[int, dict[str, str]]]) -> list[dict[str, str]]:
        for doc_index, (form_row, _values) in enumerate(rows):
            self.origin[(key, doc_index)] = form_row
        return [values for _row, values in rows]

    def _read(self) -> dict[str, Any]:
        f = self.form
        data: dict[str, Any] = {
            "code": _text(f, "code").upper(), "title": _text(f, "title"),
            "design": _text(f, "design"), "design_type": _text(f, "design_type") or "randomized",
            "consent_version": _text(f, "consent_version") or None,
            "steroid_cap_mg": _number(f, "steroid_cap_mg"),
            "capped_steroid": _text(f, "capped_steroid") or None,  # blank: the default
        }
        if "roots" in f:  # a form without the field keeps the document's default
            data["roots"] = [r.upper() for r in re.split(r"[,;\s]+", _text(f, "roots")) if r]
        arms = self._indexed("arms", _rows(f, "arm", ARM_FIELDS, MAX_ARMS))
        data["arms"] = [{**a, "ratio": _typed_number(a["ratio"]) if a["ratio"] else 1}
                        for a in arms]
        tps = self._indexed("timepoints", _rows(f, "tp", TP_FIELDS, MAX_TIMEPOINTS))
        data["timepoints"] = [self._timepoint(i, t) for i, t in enumerate(tps)]
        data["measures"] = self._measures(data["timepoints"])
        data["criteria"] = [_criterion(c) for c in self._indexed(
            "criteria", _rows(f, "criterion", CRITERION_FIELDS, MAX_CRITERIA))]
        if "sr-form" in f:
            self.read_from_form.add("self_report")
            data["self_report"] = self._self_report()
        if data["design_type"] == "registry":
            data["matching"] = self._matching()
        else:
            data["randomization"] = self._randomization()
        return {k: v for k, v in data.items() if v is not None}

    def _timepoint(self, index: int, row: dict[str, str]) -> dict[str, Any]:
        """A blank window is 0 days; a blank offset is 0 at the baseline only (elsewhere
        it is refused: "1 day" left blank must not fall on the procedure's day)."""
        baseline = self.form.get("baseline") == str(self.origin[("timepoints", index)])
        values: dict[str, Any] = {**row, "baseline": baseline}
        for key in TP_FIELDS[2:]:
            blank_is_zero = key != "offset_days" or baseline
            values[key] = _typed_number(row[key]) if row[key] else (0 if blank_is_zero else None)
        return values

    def _measures(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A measure ticked at every column of the grid is asked at every timepoint, also
        at one added in the same save (the grid has no column for it yet); one ticked at
        every follow-up column (satisfaction: never at the baseline) is asked at a
        follow-up added in the same save too."""
        timepoints = [t["code"] for t in rows]
        baseline = next((t["code"] for t in rows if t["baseline"]), None)
        grid = [tp for tp in _text(self.form, "grid_timepoints").split(",") if tp]
        follow_ups = [tp for tp in grid if tp != baseline]
        added = [tp for tp in timepoints if grid and tp not in grid and tp != baseline]
        measures = []
        for instrument in SCORE_RANGES:
            every = self._on(instrument, "all") or bool(grid) and all(
                self._on(instrument, tp) for tp in grid)
            every_follow_up = bool(follow_ups) and all(self._on(instrument, tp)
                                                       for tp in follow_ups)
            ticked = [tp for tp in timepoints if every or self._on(instrument, tp)
                      or (every_follow_up and tp in added)]
            if not ticked:
                continue
            measure: dict[str, Any] = {"instrument": instrument}
            if ticked != timepoints:
                measure["timepoints"] = ticked
            strata = [s.strip() for s in _text(self.form, f"m-{instrument}-strata").split(",")
                      if s.strip()]
            if strata:
                measure["strata"] = strata
            if self.form.get(f"m-{instrument}-response") == "on":
                measure["response_categories"] = True
            self.instruments.append(instrument)
            measures.append(measure)
        return measures

    def _on(self, instrument: str, column: str) -> bool:
        """The grid's box of ``instrument`` at timepoint ``column`` ("all": the first
        save's one box per instrument) is ticked."""
        return self.form.get(f"m-{instrument}-{column}") == "on"

    def _randomization(self) -> dict[str, Any]:
        typed = re.split(r"[,\s]+", _text(self.form, "block_multipliers"))
        blocks = [_typed_number(b) for b in typed if b]
        strata = []
        for factor in range(FACTOR_ROWS):
            name = _text(self.form, f"factor-{factor}-name")
            bins = _rows(self.form, f"factor-{factor}-bin", ("code", "low", "high"), BIN_ROWS)
            if not name and not bins:
                continue
            for doc_index, (form_row, _v) in enumerate(bins):
                self.origin[(f"bins{len(strata)}", doc_index)] = form_row
            self.origin[("strata", len(strata))] = factor
            strata.append({"name": name, "bins": [
                {"code": b["code"], "low": _typed_number(b["low"]),
                 "high": _typed_number(b["high"])}
                for _row, b in bins][:MAX_BINS]})
        return {"block_multipliers": blocks or [1, 2, 3], "strata": strata}

    def _self_report(self) -> dict[str, Any] | None:
        """Patients answer by an e-mailed link: the days of the invitation and reminders,
        when an unanswered visit becomes a call (blank: never), what is asked first."""
        if self.form.get("sr-on") != "on":
            return None
        days = [number(d) if number(d) is not None else d
                for d in re.split(r"[,;\s]+", _text(self.form, "sr-reminder_days")) if d]
        call = _text(self.form, "sr-call_after_days")
        return {"reminder_days": days or [0, 3, 7],
                "call_after_days": (number(call) if number(call) is not None else call)
                if call else None,
                "second_factor": _text(self.form, "sr-second_factor") or "none"}

    def _matching(self) -> dict[str, Any] | None:
        treated = _text(self.form, "matching-treated")
        covariates = [k.removeprefix("matching-cov-") for k, v in self.form.items()
                      if k.startswith("matching-cov-") and v == "on"]
        if not treated and not covariates:
            return None
        caliper = _text(self.form, "matching-caliper_sd")
        return {"treated": treated, "covariates": covariates,
                "caliper_sd": number(caliper) if caliper else None}

    def field_of(self, path: str) -> str:
        """The form field a document path came from (for the message next to it)."""
        match = re.match(r"^(arms|timepoints|criteria|measures)\[(\d+)\](?:\.(\w+))?", path)
        if match:
            key, index, name = match.group(1), int(match.group(2)), match.group(3) or "code"
            if key == "measures":
                instrument = self.instruments[index] if index < len(self.instruments) else ""
                return f"m-{instrument}"
            prefix = {"arms": "arm", "timepoints": "tp", "criteria": "criterion"}[key]
            row = self.origin.get((key, index), index)
            return "baseline" if name == "baseline" else f"{prefix}-{row}-{name}"
        match = re.match(r"^randomization\.strata\[(\d+)\](?:\.bins\[(\d+)\]\.(\w+)|\.(\w+))?",
                         path)
        if match:
            factor = self.origin.get(("strata", int(match.group(1))), int(match.group(1)))
            if match.group(2) is not None:
                row = self.origin.get((f"bins{match.group(1)}", int(match.group(2))),
                                      int(match.group(2)))
                return f"factor-{factor}-bin-{row}-{match.group(3)}"
            return f"factor-{factor}-name"
        if path.startswith("randomization"):
            return "block_multipliers"
        if path.startswith("self_report"):
            name = path.split(".")[1].split("[")[0] if "." in path else "on"
            return f"sr-{name}"
        if path.startswith("matching"):
            return "matching-" + (path.split(".")[1].split("[")[0] if "." in path else "treated")
        return path.split("[")[0].split(".")[0]


def form_values(doc: ProtocolDocument) -> MultiDict[str, str]:
    """A document as the builder's form fields (the inverse of FormDocument)."""
    v: MultiDict[str, str] = MultiDict()
    for name in ("code", "title", "design", "design_type"):
        v[name] = str(getattr(doc, name))
    v["consent_version"] = doc.consent_version or ""
    v["steroid_cap_mg"] = "" if doc.steroid_cap_mg is None else f"{doc.steroid_cap_mg:g}"
    v["capped_steroid"] = doc.capped_steroid
    v["roots"] = ", ".join(doc.roots)
    for i, arm in enumerate(doc.arms):
        for name in ARM_FIELDS:
            v[f"arm-{i}-{name}"] = str(getattr(arm, name))
    codes = [t.code for t in doc.timepoints]
    for i, t in enumerate(doc.timepoints):
        for name in TP_FIELDS:
            v[f"tp-{i}-{name}"] = str(getattr(t, name))
        if t.baseline:
            v["baseline"] = str(i)
    for m in doc.measures:
        for tp in m.timepoints or codes:
            v[f"m-{m.instrument}-{tp}"] = "on"
        v[f"m-{m.instrument}-strata"] = ", ".join(m.strata or [])
        if m.response_categories:
            v[f"m-{m.instrument}-response"] = "on"
    for i, c in enumerate(doc.criteria):
        for name in CRITERION_FIELDS:
            value = getattr(c, name)
            v[f"criterion-{i}-{name}"] = "" if value is None else str(value)
    if doc.randomization is not None:
        v["block_multipliers"] = ", ".join(str(b) for b in doc.randomization.block_multipliers)
        for f, factor in enumerate(doc.randomization.strata):
            v[f"factor-{f}-name"] = factor.name
            for b, item in enumerate(factor.bins):
                for name in ("code", "low", "high"):
                    v[f"factor-{f}-bin-{b}-{name}"] = str(getattr(item, name))
    v["sr-form"] = "1"
    if doc.self_report is not None:
        v["sr-on"] = "on"
        v["sr-reminder_days"] = ", ".join(str(d) for d in doc.self_report.reminder_days)
        call = doc.self_report.call_after_days
        v["sr-call_after_days"] = "" if call is None else str(call)
        v["sr-second_factor"] = doc.self_report.second_factor
    if doc.matching is not None:
        v["matching-treated"] = doc.matching.treated
        for name in doc.matching.covariates:
            v[f"matching-cov-{name}"] = "on"
        v["matching-caliper_sd"] = "" if doc.matching.caliper_sd is None else str(
            doc.matching.caliper_sd)
    return v


ROW_TITLES = {"arm": "Arm", "tp": "Timepoint", "criterion": "Criterion"}
FIELD_WORDS = {"offset_days": "day", "window_before_days": "window before",
               "window_after_days": "window after", "text": "wording",
               "age_at_least": "age from", "age_at_most": "age up to", "low": "from",
               "high": "to"}
FORM_FIELDS = {"code": "Code", "title": "Title", "design": "Design, in words",
               "design_type": "Design", "consent_version": "Consent form version",
               "steroid_cap_mg": "Steroid cap", "capped_steroid": "Capped steroid",
               "roots": "Nerve roots",
               "baseline": "Baseline", "block_multipliers": "Block multipliers"}


def field_title(name: str, instruments: Mapping[str, str]) -> str:
    """A form field as the page names it, for the list of problems at its top:
    "tp-1-window_after_days" is "Timepoint 2, window after", "m-vas" the VAS's row of
    the grid (``instruments``: code -> label)."""
    row = re.fullmatch(r"(arm|tp|criterion)-(\d+)-(\w+)", name)
    if row:
        kind, index, field = row.groups()
        return f"{ROW_TITLES[kind]} {int(index) + 1}, {_words(field)}"
    stratum = re.fullmatch(r"factor-(\d+)-(?:bin-(\d+)-)?(\w+)", name)
    if stratum:
        factor, bin_, field = stratum.groups()
        where = f"Stratification factor {int(factor) + 1}"
        return f"{where}, bin {int(bin_) + 1} {_words(field)}" if bin_ else \
            f"{where}, {_words(field)}"
    if name.startswith("m-") and name[2:] in instruments:
        return f"Measures, {instruments[name[2:]]}"
    return FORM_FIELDS.get(name, _words(name.removeprefix("sr-")).capitalize())


def _words(field: str) -> str:
    return FIELD_WORDS.get(field, field.replace("_", " "))


# the builder's sections top to bottom, by the start of their fields' names
FORM_ORDER = ("study", "code", "design_type", "consent_version", "steroid_cap_mg",
              "capped_steroid", "roots", "title", "design", "arms", "arm-", "timepoints",
              "tp-", "baseline", "measures", "m-", "criteria", "criterion-", "matching",
              "randomization", "block_multipliers", "factor", "sr", "reason")


def in_form_order(errors: Mapping[str, str]) -> dict[str, str]:
    """``errors`` as the page lists them, top to bottom: by section, then by row (the
    list began with the measures and ended with the code: it read backwards)."""
    def rank(name: str) -> tuple[int, int]:
        section = next((i for i, start in enumerate(FORM_ORDER) if name.startswith(start)),
                       len(FORM_ORDER))
        row = re.search(r"[-.](\d+)", name)
        return section, int(row.group(1)) if row else -1

    return dict(sorted(errors.items(), key=lambda item: rank(item[0])))
