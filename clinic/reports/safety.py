"""Table 5 (safety, contrast, medication) and Table 6 (satisfaction)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clinic import catalog
from clinic.reports.cells import Arms, categorical_rows, continuous_rows
from clinic.reports.data import StudyData
from clinic.reports.tables import Table, TableBuilder
from clinic.scoring.likert import Satisfaction
from clinic.stats.format import fmt_number

MEDICATIONS = (("nsaid_reduction", "Reduction of NSAIDs (%)"),
               ("ome", "Morphine equivalent (mg/day)"),
               ("gabapentin", "Gabapentin (mg/day)"))
MAX_DOSE_CATEGORIES = 6
SATISFACTION = (("satisfaction_procedure", "Satisfaction with the procedure"),
                ("satisfaction_results", "Satisfaction with the results"))


def _treated(data: StudyData) -> pd.DataFrame:
    return pd.DataFrame({"subject": data.procedures["subject"], "arm": data.procedure_arms()})


def _complication(data: StudyData, treated: pd.DataFrame) -> pd.Series:
    types = data.events.groupby("subject")["event_type"].agg(lambda s: sorted(set(s)))
    per = treated["subject"].map(types)
    return per.map(lambda t: "none" if not isinstance(t, list) else
                   (t[0] if len(t) == 1 else "multiple"))


OPEN_VISIT = ("upcoming", "due", "overdue")  # its window not closed, nothing recorded


def score_column(data: StudyData, code: str, tp: str) -> pd.DataFrame:
    """arm and value of one instrument at one timepoint per patient (NaN: missing), and
    whether the patient's visit there is still open (``pending``: not yet assessed, as
    opposed to a value that was not recorded)."""
    value = data.per_patient("scores", data.score_rows_at(code, tp),
                             data.scores["value"].to_numpy(dtype=float))
    pending = data.per_patient("assessments", data.visit_rows_at(tp),
                               data.visits_in(OPEN_VISIT)) == 1.0
    return pd.DataFrame({"arm": data.patients["arm"], "value": value,
                         "pending": pending & np.isnan(value)})


def _medication_rows(b: TableBuilder, data: StudyData, arms: Arms) -> None:
    for code, label in MEDICATIONS:
        for tp in data.study.timepoints_of(code):
            col = score_column(data, code, tp)
            name = f"{label}, {data.study.label_of(tp).lower()}"
            distinct = sorted(col["value"].dropna().unique())
            if code == "nsaid_reduction" or len(distinct) > MAX_DOSE_CATEGORIES:
                values = {a: col.loc[col["arm"] == a, "value"].dropna().to_numpy()
                          for a in arms.codes}
                waiting = col.loc[col["pending"], "arm"].value_counts()
                continuous_rows(b, f"{name}, median (IQR)", values, arms, level=0,
                                pending={a: int(waiting.get(a, 0)) for a in arms.codes})
            else:
                levels = [(v, f"{fmt_number(v, 0)} mg/day") for v in distinct]
                categorical_rows(b, name, col, arms, levels)


def table5(data: StudyData, arms: Arms) -> Table:
    b = TableBuilder("table5", "Table 5. Safety, contrast extravasation and medication use",
                     "Variable", arms.columns())
    treated = _treated(data)
    events = [(code, catalog.ADVERSE_EVENT_TYPES[code]) for code in catalog.ADVERSE_EVENT_TYPES]
    categorical_rows(b, "Complications",
                     pd.DataFrame({"arm": treated["arm"], "value": _complication(data,
                                                                                 treated)}),
                     arms, [("none", "No"), *events, ("multiple", "More than one type")])
    extravasation = data.procedures["contrast_extravasation"].map(
        {True: "positive", False: "negative"})
    categorical_rows(b, "Contrast extravasation",
                     pd.DataFrame({"arm": treated["arm"], "value": extravasation}), arms,
                     [("negative", "Negative"), ("positive", "Positive")], keep_empty=True)
    before = len(b.rows)
    _medication_rows(b, data, arms)
    if len(b.rows) == before:
        b.title = "Table 5. Safety and contrast extravasation"
    b.note("Complications: every adverse event recorded for a treated patient, counted once "
           "per patient; a patient with events of several types is 'More than one type'.")
    nsaid = any("NSAID" in r.label for r in b.rows[before:])
    b.abbreviations.append(("NSAID non-steroidal anti-inflammatory drug; " if nsaid else "")
                           + "percentages are of the patients with a recorded value.")
    return b.build()


def table6(data: StudyData, arms: Arms) -> Table:
    asked = [label.removeprefix("Satisfaction with ") for code, label in SATISFACTION
             if data.study.timepoints_of(code)]
    title = "Table 6. Satisfaction" + (f" with {' and with '.join(asked)}" if asked else "")
    b = TableBuilder("table6", title, "Variable", arms.columns())
    levels = [(float(level.score), level.label) for level in Satisfaction]
    for code, label in SATISFACTION:
        for tp in data.study.timepoints_of(code):
            name = f"{label} ({data.study.label_of(tp).lower()})"
            categorical_rows(b, name, score_column(data, code, tp), arms, levels,
                             keep_empty=True)
    if not any(data.study.timepoints_of(code) for code, _ in SATISFACTION):
        b.note("The study does not collect satisfaction.")
    b.abbreviations.append("Data are n (%) of the patients who answered.")
    return b.build()
