"""Table 1 (demographics and baseline) and Table 2 (procedure characteristics)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clinic import catalog
from clinic.protocol.allocation import stratum_words
from clinic.reports.cells import (
    Arms,
    arm_values,
    categorical_rows,
    compare_p_cell,
    continuous_rows,
    summary_cell,
)
from clinic.reports.data import NO_DOSE_SUMMARY, DrugTotal, StudyData
from clinic.reports.tables import Cell, Row, Table, TableBuilder
from clinic.stats import compare_categorical, compare_groups, describe
from clinic.stats.format import format_count_pct

# Procedures that inject nerve roots (each puncture a root), and those that may take in a
# sacroiliac joint: the seed trial's Table 2 wording applies to them only.
ROOT_PROCEDURES = frozenset({"tfesi", "prf_drg", "tfesi_prf", "snrb"})
SI_PROCEDURES = frozenset({"tfesi", "tfesi_prf", "sij_injection"})
PUNCTURE_BINS = ((1, 2, "1 or 2"), (3, 4, "3 or 4"), (5, 6, "5 or 6"), (7, 20, "7 or more"))
SI_SIDES = (("none", "No"), ("right", "Only right"), ("left", "Only left"),
            ("bilateral", "Bilateral"))


def _by_arm(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return pd.DataFrame({"arm": frame["arm"], "value": frame[column]})


def _abbreviations(arms: Arms, summaries: bool = True) -> str:
    """The arms' labels and, for a table with medians and means, IQR and SD."""
    groups = ", ".join(arms.labels[c] for c in arms.codes)
    return f"{groups}." + (" IQR interquartile range; SD standard deviation." if summaries
                           else "")


def table1(data: StudyData, arms: Arms) -> Table:
    b = TableBuilder("table1", "Table 1. Demographic and baseline characteristics",
                     "Characteristic", arms.columns())
    p = data.patients
    continuous_rows(b, "Age (years)", arm_values(p, "age", arms), arms, mean_sd=True)
    categorical_rows(b, "Sex", _by_arm(p, "sex"), arms, list(catalog.SEXES.items()))
    continuous_rows(b, "BMI (kg/m²)", arm_values(p, "bmi", arms), arms, mean_sd=True)
    if p["symptom_duration_months"].notna().any():  # a row of its own (level 0), not
        continuous_rows(b, "Symptom duration (months), median (IQR)",  # one of BMI's
                        arm_values(p, "symptom_duration_months", arms), arms, level=0)
    strata = sorted(v for v in p["stratum"].dropna().unique() if v != "all")
    if len(strata) > 1:
        categorical_rows(b, "Stratum (randomization)", _by_arm(p, "stratum"), arms,
                         [(code, stratum_words(data.study.strata_rules, code)) for code in strata])
    asked = data.laterality_roots
    recorded = [root for root in asked if p[f"laterality_{root}"].notna().any()]
    for root in recorded:
        categorical_rows(b, f"{root} root laterality", _by_arm(p, f"laterality_{root}"), arms,
                         list(catalog.LATERALITY.items()))
    if len(p) and recorded and len(recorded) < len(asked):  # none: not collected
        b.note("Root laterality is shown for the roots recorded at enrollment: "
               + (", ".join(recorded) if recorded else "none were") + ".")
    b.abbreviations.append(_abbreviations(arms))
    return b.build()


def _punctures(procedures: pd.DataFrame) -> pd.Series:
    out = pd.Series(pd.NA, index=procedures.index, dtype=object)
    for low, high, label in PUNCTURE_BINS:
        out[procedures["punctures"].between(low, high)] = label
    return out


def _punctures_label(procedures: pd.DataFrame) -> str:
    """The seed trial's wording where every procedure injects nerve roots."""
    roots = procedures["procedure_type"].isin(ROOT_PROCEDURES)
    return "Roots injected (punctures)" if len(procedures) and roots.all() else "Punctures"


def _si_side(data: StudyData) -> pd.Series:
    sij = data.targets[data.targets["level"] == "SIJ"].drop_duplicates("subject")
    side = data.procedures["subject"].map(sij.set_index("subject")["side"])
    side = side.astype(object).where(side.notna(), "none")
    return side.replace({"midline": "bilateral"})


def lower_back(data: StudyData) -> bool:
    """A study of the lower back (a lumbar or sacral root asked, or a level treated):
    the side of a sacroiliac joint injection is one of its variables; a neck study has
    no such joint to speak of."""
    levels = data.targets["level"].astype(str) if len(data.targets) else []
    return (any(root[:1] in ("L", "S") for root in data.study.roots)
            or any(level[:1] in ("L", "S") for level in levels))


def table2(data: StudyData, arms: Arms) -> Table:
    b = TableBuilder("table2", "Table 2. Procedure characteristics", "Variable", arms.columns())
    proc = data.procedures.assign(arm=data.procedure_arms())
    categorical_rows(b, _punctures_label(proc),
                     pd.DataFrame({"arm": proc["arm"], "value": _punctures(proc)}), arms,
                     [(label, label) for *_, label in PUNCTURE_BINS])
    if len(data.targets) and bool((data.targets["level"] == "SIJ").any()):
        categorical_rows(b, "Side of sacroiliac joint injection",
                         pd.DataFrame({"arm": proc["arm"], "value": _si_side(data)}), arms,
                         list(SI_SIDES), keep_empty=True)
    elif (len(proc) and proc["procedure_type"].isin(SI_PROCEDURES).any()
          and lower_back(data)):
        b.note("No procedure included a sacroiliac joint injection.")
    categorical_rows(b, "Procedure type", _by_arm(proc, "procedure_type"), arms,
                     list(catalog.PROCEDURE_TYPES.items()))
    _level_rows(b, data, proc, arms)
    _injectate_rows(b, data, proc, arms)
    treated = len(proc)
    if treated < len(data.patients):
        b.note(f"{len(data.patients) - treated} included patient(s) have no procedure recorded "
               "and are not counted in this table.")
    b.note("Each patient's first (index) procedure is described.")
    b.abbreviations.append(_abbreviations(arms, summaries=False))
    return b.build()


def _level_rows(b: TableBuilder, data: StudyData, proc: pd.DataFrame, arms: Arms) -> None:
    """One row per level treated: patients with a target there, p on yes/no × arm."""
    treated = set(data.targets["level"])
    present = [lvl for lvl in catalog.LEVELS if lvl in treated]
    if not present:
        return
    totals = _heading_with_totals(b, "Levels treated", proc, arms)
    for level in present:
        hit = proc["subject"].isin(set(data.targets.loc[data.targets["level"] == level,
                                                        "subject"]))
        _yes_no_row(b, catalog.LEVELS[level], proc.loc[hit, "arm"].value_counts(), totals,
                    arms, test_label=f"Level {catalog.LEVELS[level]}")
    b.note("Levels treated: a patient treated at several levels counts under each; each "
           "level's p compares treated vs not treated at that level between arms. Levels "
           "with no patient in any arm are not shown.")


def _heading_with_totals(b: TableBuilder, label: str, proc: pd.DataFrame,
                         arms: Arms) -> pd.Series:
    """A block's heading with the treated patients of each arm; returns those counts."""
    totals = proc["arm"].value_counts()
    b.heading(label, tuple(Cell("", int(totals.get(c, 0))) for c in arms.codes) + (Cell(),))
    return totals


def _yes_no_row(b: TableBuilder, label: str, yes: pd.Series, totals: pd.Series, arms: Arms,
                test_label: str | None = None) -> None:
    """n (%) of each arm's treated patients with something (``yes``: counts by arm), and
    the p of yes/no × arm (its notes named ``test_label``, else ``label``)."""
    table = pd.DataFrame({c: [int(yes.get(c, 0)), int(totals.get(c, 0) - yes.get(c, 0))]
                          for c in arms.codes}, index=["yes", "no"])
    cells = tuple(Cell(format_count_pct(int(yes.get(c, 0)), int(totals.get(c, 0))))
                  for c in arms.codes)
    b.row(label, (*cells, compare_p_cell(compare_categorical(table), b, test_label or label)))


def _injectate_rows(b: TableBuilder, data: StudyData, proc: pd.DataFrame, arms: Arms) -> None:
    """One row per drug given: patients whose index procedure included it, p on yes/no ×
    arm; under it, the milligrams a patient was given in all (every level's dose added
    up), median (IQR), among those with its dose recorded at every level."""
    drugs = data.drug_totals()
    if not drugs:
        return
    arm = proc["arm"].to_numpy()
    totals = _heading_with_totals(b, "Injectates", proc, arms)
    for drug, of_drug in drugs.items():
        name = catalog.DRUGS[drug]
        _yes_no_row(b, name, pd.Series(arm[of_drug.given]).value_counts(), totals, arms)
        if drug not in NO_DOSE_SUMMARY:
            _dose_row(b, of_drug, arm, arms, name)
    b.note("Injectates: a patient given a drug at several levels counts once; its dose is "
           "the patient's total, median (IQR) in mg among the patients given it whose dose "
           "(or concentration and volume: 1 % is 10 mg/mL) was recorded at every level "
           "(cells give that n). Drugs not given in any arm are not shown.")


def _dose_row(b: TableBuilder, of_drug: DrugTotal, arm: np.ndarray, arms: Arms,
              name: str) -> None:
    """The drug's total mg per patient given it, by arm, under the drug's row; a patient
    with one of its doses not recorded is left out (none recorded at all: no row)."""
    complete = of_drug.given & ~np.isnan(of_drug.total_mg)
    if not complete.any():
        return
    values = {c: of_drug.total_mg[complete & (arm == c)] for c in arms.codes}
    label = f"{name}, dose per patient (mg)"
    comp = compare_groups(values)
    desc = comp.descriptives or {c: describe(values[c]) for c in arms.codes}
    b.rows.append(Row(label, (*(summary_cell(desc[c]) for c in arms.codes),
                              compare_p_cell(comp, b, label)), level=2))
