"""The NRS (or VAS) weighted value, (before − after) ÷ before, and its response category
at each follow-up, by group: cured ≥ 75 %, significant improvement 50–75 %, improved
25–50 %, no effect < 25 % (clinic.scoring.nrs, after the registry study among the seed
documents, 003)."""

from __future__ import annotations

import pandas as pd

from clinic.reports.cells import Arms, categorical_rows, continuous_rows
from clinic.reports.data import StudyData
from clinic.reports.tables import Table, TableBuilder
from clinic.scoring.instruments import INSTRUMENTS
from clinic.scoring.nrs import NrsResponse, nrs_weighted_value


def weighted_values(data: StudyData, code: str, timepoint: str) -> pd.DataFrame:
    """subject, arm, percent, category: one row per patient with both scores."""
    scores = data.scores[data.scores["instrument"] == code].set_index(["subject", "timepoint"])
    arm = data.patients.set_index("subject")["arm"]
    rows = []
    for subject in data.patients["subject"]:
        before = scores["value"].get((subject, data.study.baseline))
        after = scores["value"].get((subject, timepoint))
        if before is None or after is None or pd.isna(before) or pd.isna(after):
            continue
        wv = nrs_weighted_value(float(before), float(after))
        rows.append({"subject": subject, "arm": arm[subject], "percent": wv.percent,
                     "category": wv.category.value if wv.category else None})
    return pd.DataFrame(rows, columns=["subject", "arm", "percent", "category"])


def response_tables(data: StudyData, arms: Arms) -> list[Table]:
    """Numbered after the last table before them: 7 (a trial), 9 (a registry, whose
    Tables 7 and 8 are its matching); 7a, 7b … when several measures have them."""
    tables = []
    codes = data.study.response_measures
    number = 9 if data.study.is_registry else 7
    for index, code in enumerate(codes):
        label = INSTRUMENTS[code].label
        suffix = "abcdefghij"[index] if len(codes) > 1 else ""
        b = TableBuilder(f"response_{code}",
                         f"Table {number}{suffix}. {label}: weighted value and response",
                         "Follow-up", arms.columns())
        for tp in data.study.timepoints_of(code):
            if tp == data.study.baseline:
                continue
            wv = weighted_values(data, code, tp)
            at = data.study.label_of(tp)
            values = {a: wv.loc[wv["arm"] == a, "percent"].dropna().to_numpy(dtype=float)
                      for a in arms.codes}
            continuous_rows(b, f"{at}: weighted value, % of baseline", values, arms, level=0)
            categorical_rows(b, f"{at}: response", pd.DataFrame(
                {"arm": wv["arm"], "value": wv["category"]}), arms,
                [(r.value, r.label) for r in NrsResponse])
        b.note("Weighted value = (baseline − follow-up) ÷ baseline × 100; patients with both "
               "scores; a baseline of 0 gives no value. Response: cured ≥ 75 %, significant "
               "improvement 50–75 %, improved 25–50 %, no effect < 25 %.")
        tables.append(b.build())
    return tables
