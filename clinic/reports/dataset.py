"""The de-identified analysis data set (long and wide) and its data dictionary.

Patients appear only by their study code. No names, contact data, record numbers or
dates are exported (dates are left out as quasi-identifiers).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clinic import catalog
from clinic.reports.baseline import PUNCTURE_BINS, SI_SIDES, _punctures, _si_side, lower_back
from clinic.reports.data import (
    NO_DOSE_SUMMARY,
    StudyData,
    distinct_objects,
    identities,
    taken,
    text_ranks,
)
from clinic.reports.radiation import effective_dose
from clinic.scoring.instruments import INSTRUMENTS
from clinic.scoring.likert import Satisfaction

DOSE_DECIMALS = 6  # mSv, in the data set


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    unit: str = ""
    values: dict[str, str] = field(default_factory=dict)  # code -> label (categorical)


@dataclass(frozen=True)
class AnalysisDataset:
    long: pd.DataFrame
    wide: pd.DataFrame
    variables: tuple[Variable, ...]

    def dictionary(self) -> pd.DataFrame:
        return pd.DataFrame([{"variable": v.name, "label": v.label, "unit": v.unit,
                              "type": "categorical" if v.values else _kind(self.wide[v.name]),
                              "values": "; ".join(f"{k}={t}" for k, t in v.values.items())}
                             for v in self.variables])


def _kind(column: pd.Series) -> str:
    return "numeric" if pd.api.types.is_numeric_dtype(column) else "text"


def _base_variables(data: StudyData) -> list[Variable]:
    arms = {a.code: a.label for a in data.study.arms}
    sites = {s: s for s in sorted(set(data.patients["site"]))}
    lat = dict(catalog.LATERALITY)
    return [
        Variable("subject", "Patient study code (pseudonym)"),
        Variable("arm", "Randomized arm", values=arms),
        Variable("site", "Site", values=sites),
        Variable("sex", "Sex", values=dict(catalog.SEXES)),
        Variable("age", "Age at enrollment", "years"),
        Variable("bmi", "Body mass index", "kg/m²"),
        Variable("status", "Enrollment status", values=dict(catalog.ENROLLMENT_STATUSES)),
        *(Variable(f"laterality_{r}", f"{r} root laterality at baseline", values=lat)
          for r in data.laterality_roots),
    ]


def _procedure_variables(data: StudyData) -> list[Variable]:
    treated = set(data.targets["level"])
    levels = [lvl for lvl in catalog.LEVELS if lvl in treated]
    return [
        Variable("modality", "Guidance modality", values=dict(catalog.MODALITIES)),
        Variable("procedure_type", "Procedure type", values=dict(catalog.PROCEDURE_TYPES)),
        Variable("punctures", "Number of punctures"),
        Variable("punctures_group", "Roots injected",
                 values={label: label for *_, label in PUNCTURE_BINS}),
        *([Variable("si_side", "Side of sacroiliac joint injection", values=dict(SI_SIDES))]
          if lower_back(data) else []),
        *(Variable(f"level_{lvl.replace('-', '_')}", f"Level {catalog.LEVELS[lvl]} treated",
                   values={"0": "No", "1": "Yes"}) for lvl in levels),
        *(_drug_variable(drug) for drug in data.drug_totals()),
        Variable("contrast_extravasation", "Contrast extravasation",
                 values={"0": "Negative", "1": "Positive"}),
        Variable("dap_mgy_cm2", "Dose-area product", "mGy·cm²"),
        Variable("fluoroscopy_time_s", "Fluoroscopy time", "s"),
        Variable("ctdivol_mgy", "CTDIvol", "mGy"),
        Variable("dlp_mgy_cm", "Dose-length product", "mGy·cm"),
        Variable("effective_dose_msv", "Effective dose, estimate (see report Table 4)", "mSv"),
        Variable("operative_time_min", "Operative time", "min"),
        Variable("time_per_puncture_min", "Operative time per puncture", "min"),
        Variable("complication", "Complication (per patient)",
                 values={"none": "No", **catalog.ADVERSE_EVENT_TYPES,
                         "multiple": "More than one type"}),
    ]


def _drug_variable(drug: str) -> Variable:
    """A drug of the index procedures: the mg given in all, or for saline and "other"
    (no milligrams to add up) whether it was given."""
    name = catalog.DRUGS[drug]
    if drug in NO_DOSE_SUMMARY:
        return Variable(f"{drug}_given", f"{name} given at the index procedure",
                        values={"0": "No", "1": "Yes"})
    return Variable(f"{drug}_mg", f"{name} given at the index procedure, in all (0: not "
                    "given; empty: a dose not recorded)", "mg")


def _score_variables(data: StudyData) -> list[Variable]:
    out = []
    labels = {tp.code: tp.label for tp in data.study.timepoints}
    likert = {str(s.score): s.label for s in Satisfaction}
    for code, tps in data.study.measures:
        inst = INSTRUMENTS[code]
        for tp in tps:
            values = likert if inst.choices else {}
            out.append(Variable(f"{code}_{tp}", f"{inst.label}, {labels[tp]}", inst.unit,
                                values))
    return out


def _mode_variables(data: StudyData) -> list[Variable]:
    """How each visit was collected (in clinic, phone, patient self-report)."""
    return [Variable(f"mode_{tp.code}", f"Collection mode, {tp.label}", "",
                     dict(catalog.COLLECTION_MODES)) for tp in data.study.timepoints]


def _mode_columns(data: StudyData) -> dict[str, pd.Series]:
    """The mode of each patient's completed visit per timepoint (NaN: none), in the order
    of ``patients``."""
    a = data.assessments
    codes, timepoints = pd.factorize(a["timepoint"].to_numpy())
    code_of = {tp: i for i, tp in enumerate(timepoints)}
    done = (a["state"] == "completed").to_numpy()
    modes = a["mode"].to_numpy(dtype=object)
    return {f"mode_{tp.code}": pd.Series(data.per_patient("assessments", np.flatnonzero(
                done & (codes == code_of.get(tp.code, -2))), modes), dtype=object)
            for tp in data.study.timepoints}  # -2: no visit has it (-1 is a missing one)


def _visit_modes(data: StudyData) -> np.ndarray:
    """How the visit of each score row was collected (the visit's mode)."""
    return data.assessments["mode"].to_numpy(dtype=object)[data.rows["score_visits"]]


def _procedure_columns(data: StudyData) -> pd.DataFrame:
    proc = data.procedures.set_index("subject", drop=False)
    out = proc[["subject", "modality", "procedure_type", "punctures"]].copy()
    out["punctures_group"] = _punctures(proc)
    if lower_back(data):
        out["si_side"] = _si_side(data).to_numpy()
    treated = set(data.targets["level"])
    for lvl in [lvl for lvl in catalog.LEVELS if lvl in treated]:
        hit = set(data.targets.loc[data.targets["level"] == lvl, "subject"])
        out[f"level_{lvl.replace('-', '_')}"] = proc["subject"].isin(hit).astype(int).astype(str)
    for drug, given in data.drug_totals().items():
        if drug in NO_DOSE_SUMMARY:
            out[f"{drug}_given"] = np.where(given.given, "1", "0")
        else:
            out[f"{drug}_mg"] = given.total_mg
    out["contrast_extravasation"] = proc["contrast_extravasation"].map({True: "1", False: "0"})
    for col in ("dap_mgy_cm2", "fluoroscopy_time_s", "ctdivol_mgy", "dlp_mgy_cm",
                "operative_time_min"):
        out[col] = proc[col].astype(float)
    # to the µSv's thousandth: the product DAP x k printed 0.11549999999999999 (Table 4
    # computes on the unrounded values)
    out["effective_dose_msv"] = effective_dose(proc.reset_index(drop=True),
                                               data.targets).round(DOSE_DECIMALS).to_numpy()
    out["time_per_puncture_min"] = proc["operative_time_min"].astype(float) / proc["punctures"]
    types = data.events.groupby("subject")["event_type"].agg(lambda s: sorted(set(s)))
    out["complication"] = proc["subject"].map(types).map(
        lambda t: "none" if not isinstance(t, list) else (t[0] if len(t) == 1 else "multiple"))
    return out.reset_index(drop=True)


def build_dataset(data: StudyData) -> AnalysisDataset:
    variables = [*_base_variables(data), *_procedure_variables(data), *_score_variables(data),
                 *_mode_variables(data)]
    wide = data.patients[["subject", "arm", "site", "sex", "age", "bmi", "status",
                          *(f"laterality_{r}" for r in data.laterality_roots)]].copy()
    wide = wide.merge(_procedure_columns(data), on="subject", how="left")
    assert len(wide) == len(data.patients)  # one row per patient, in their order
    scores = data.scores["value"].to_numpy(dtype=float)
    for code, timepoints in data.study.measures:  # the score variables, in their order
        for tp in timepoints:
            wide[f"{code}_{tp}"] = data.per_patient("scores", data.score_rows_at(code, tp),
                                                    scores)
    for name, column in _mode_columns(data).items():
        wide[name] = column
    wide = wide[[v.name for v in variables]]
    return AnalysisDataset(_long(data), wide, tuple(variables))


def _long(data: StudyData) -> pd.DataFrame:
    """The scores, one row each, with arm, timepoint order and the visit's collection mode,
    sorted by subject, timepoint order and instrument (each column is put in that order
    once: no copy of the whole frame before the sort)."""
    s = data.scores
    order = {tp.code: i for i, tp in enumerate(data.study.timepoints)}
    columns = {"subject": s["subject"], "arm": data.of_patient("scores", "arm"),
               "timepoint": s["timepoint"], "timepoint_order": s["timepoint"].map(order),
               "instrument": s["instrument"], "value": s["value"],
               "mode": pd.Series(_visit_modes(data) if len(s) else [], dtype=object)}
    rows = _long_order(data, columns["timepoint_order"])
    long = pd.DataFrame(index=pd.RangeIndex(len(rows)))
    for name, column in columns.items():
        long[name] = taken(column, rows)
    return long


def _long_order(data: StudyData, timepoint_order: pd.Series) -> np.ndarray:
    """The row order of ``sort_values(["subject", "timepoint_order", "instrument"],
    kind="stable")``. The scores come sorted by subject, so each patient's run of rows is
    numbered in place of comparing the texts."""
    s = data.scores
    patient = data.rows["scores"]
    if not len(s):
        return np.arange(0)
    run = np.concatenate([[0], np.cumsum(patient[1:] != patient[:-1])])
    return np.lexsort((text_ranks(s["instrument"].to_numpy()),
                       timepoint_order.to_numpy(dtype=float), run))


VERSION_CHUNK_ROWS = 200_000


# frames the report read later in its life: with no rows they add nothing, so that a
# study without any keeps the version its reports had before (the injectates, from when
# Table 2 listed them)
HASHED_WHEN_HELD = frozenset({"injectates"})


def data_version(data: StudyData) -> str:
    """SHA-256 over the rows the report uses (the frames of ``data``), in a fixed order:
    each row's hash (pandas' ``hash_pandas_object``) over its cells written as text.
    A row's hash depends on that row only, so the rows are hashed a chunk at a time
    (the same digest as all at once): the report computes it beside its tables
    (clinic.reports.builder), and all 2.25 million scores of 200,000 patients at once
    took 118 MiB more at the report's peak."""
    digest = hashlib.sha256()
    known = TextHashes()  # the patients' codes recur in every frame: hashed once
    for name in ("patients", "procedures", "targets", "injectates", "assessments", "scores",
                 "events", "screening", "randomized"):
        frame: pd.DataFrame = getattr(data, name)
        if name in HASHED_WHEN_HELD and frame.empty:
            continue
        digest.update(f"{name}:{','.join(frame.columns)}:{len(frame)}".encode())
        for start in range(0, len(frame), VERSION_CHUNK_ROWS):
            rows = frame.iloc[start:start + VERSION_CHUNK_ROWS]
            digest.update(_row_hashes(rows, known).astype("<u8", copy=False).tobytes())
    return digest.hexdigest()


def _row_hashes(frame: pd.DataFrame, known: TextHashes | None = None) -> np.ndarray:
    """``hash_pandas_object(frame.astype(object).astype(str), index=False)``, the same
    numbers, but each column's distinct values are written as text and hashed once
    (there are few: codes, dates, scores) instead of once per row."""
    from pandas.core.util.hashing import combine_hash_arrays

    known = TextHashes() if known is None else known
    columns = (_column_hashes(frame[name], known) for name in frame.columns)
    return combine_hash_arrays(columns, len(frame.columns))  # type: ignore[no-any-return]


ONE_KIND = frozenset({"string", "boolean", "integer", "date", "datetime", "empty"})


def _column_hashes(column: pd.Series, known: TextHashes) -> np.ndarray:
    values = column.to_numpy()
    if values.dtype == object:
        return _object_hashes(values, known)
    if not _distinct_as_text(values):  # every row's text, then
        return _text_hashes(pd.Series(values, dtype=object))
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    distinct = pd.Series(np.asarray(uniques).astype(object), dtype=object)  # Python scalars
    return _text_hashes(distinct)[codes]


def _object_hashes(values: np.ndarray, known: TextHashes) -> np.ndarray:
    """The text hashes of a column of Python objects, each distinct object written and
    hashed once. Cells are grouped by identity, not by value: the report's readers share
    one object among equal texts and dates, and grouping by value would hash millions of
    texts (and would merge 0, False and 0.0, whose texts differ)."""
    cells, first = distinct_objects(values)
    return known.of(values[first])[cells]


class TextHashes:
    """The text hashes of the objects hashed so far, by identity, kept while every frame
    (and so every object) is alive: one object's text does not change. The study codes
    of 200,000 patients recur in six frames; each is written and hashed once."""

    def __init__(self) -> None:
        self.ids = np.empty(0, dtype=np.uintp)  # sorted
        self.hashes = np.empty(0, dtype="<u8")

    def of(self, objects: np.ndarray) -> np.ndarray:
        ids = identities(objects)
        at = np.minimum(np.searchsorted(self.ids, ids), max(len(self.ids) - 1, 0))
        found = (self.ids[at] == ids) if len(self.ids) else np.zeros(len(ids), dtype=bool)
        out = np.empty(len(objects), dtype="<u8")
        out[found] = self.hashes[at[found]]
        new = ~found
        if new.any():
            out[new] = _text_hashes(pd.Series(objects[new], dtype=object))
            ids_now = np.concatenate([self.ids, ids[new]])
            order = np.argsort(ids_now, kind="stable")
            self.ids, self.hashes = ids_now[order], np.concatenate([self.hashes, out[new]])[order]
        return out


def _distinct_as_text(values: np.ndarray) -> bool:
    """Whether values that factorize as equal are also equal as text. Not for a mix of
    kinds (0, False and 0.0 are one value, but "0", "False" and "0.0" as text), nor for a
    float zero with its sign (0.0 and -0.0)."""
    if values.dtype == object:
        return pd.api.types.infer_dtype(values, skipna=True) in ONE_KIND
    if values.dtype.kind == "f":
        return not bool(np.any((values == 0) & np.signbit(values)))
    return True


def _text_hashes(values: pd.Series) -> np.ndarray:
    return pd.util.hash_pandas_object(values.astype(str), index=False).to_numpy(dtype="<u8")
