"""Participant flow (CONSORT): screening, randomization, procedures, follow-up status."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clinic.catalog import MODALITIES_WITH_CT_DOSE, MODALITIES_WITH_DAP
from clinic.reports.cells import Arms
from clinic.reports.data import StudyData, factorized
from clinic.reports.tables import Cell, Column, Row, Table, TableBuilder

FOLLOW_UP_STATES = (
    ("assessed", "Assessed"),
    ("not_done", "Not done (reason recorded)"),
    ("missed", "Missed (window closed, nothing recorded)"),
    ("withdrawn", "Withdrawn before this visit"),
    ("pending", "Pending (window not yet closed)"),
    ("not_scheduled", "Not scheduled (no procedure yet)"),
)


def _follow_up_state(data: StudyData) -> pd.Series:
    """Each visit's row of the flow: its status named (completed: assessed; upcoming,
    due, overdue: pending), withdrawn when its patient is and it was not assessed. Each
    distinct status is named once (1.2 million visits at 200,000 patients)."""
    codes, statuses = factorized(data.assessments["status"].to_numpy())
    named = {"completed": "assessed", "not_done": "not_done", "missed": "missed"}
    state = np.array([*(named.get(s, "pending") for s in statuses), "pending"],
                     dtype=object)[codes]  # (code -1, no status: the last, pending)
    assessed = np.array([*(s == "completed" for s in statuses), False])[codes]
    withdrawn = (data.patients["status"] == "withdrawn").to_numpy()[data.rows["assessments"]]
    state[withdrawn & ~assessed] = "withdrawn"
    return pd.Series(state, index=data.assessments.index, dtype=object)


def _per_arm(arms: Arms, counts: pd.Series) -> tuple[Cell, ...]:
    cells = [Cell(str(int(counts.get(c, 0)))) for c in arms.codes]
    return (*cells, Cell(str(int(sum(counts.get(c, 0) for c in arms.codes)))))


def _screening_rows(b: TableBuilder, data: StudyData, arms: Arms) -> None:
    s = data.screening
    blank = tuple(Cell() for _ in arms.codes)
    b.heading("Screening")
    b.row("Screened", (*blank, Cell(str(len(s)))))
    ineligible = s[~s["is_eligible"].astype(bool)]
    b.row("Not eligible", (*blank, Cell(str(len(ineligible)))))
    failing = ineligible["failing"].str.split("|").explode()
    counts = failing[failing != ""].value_counts()
    for code, _kind, text in data.study.criteria:
        if code in counts:
            b.rows.append(Row(text, (*blank, Cell(str(int(counts[code])))), level=2))
    incomplete = int((ineligible["failing"] == "").sum())
    if incomplete:  # none failed, some left unanswered (a checklist saved unfinished)
        b.rows.append(Row("Checklist not completed", (*blank, Cell(str(incomplete))), level=2))
    if len(ineligible):
        b.note("Screening: a candidate can fail more than one criterion; a criterion left "
               "unanswered (not asked once another had failed) is not counted.")
    if data.filters.sites:
        b.note("Screening: counts are limited to the selected sites.")
    if data.filters.uses_procedure or data.filters.arms:
        b.note("Screening: counts are not limited by arm or procedure filters (screening "
               "comes before randomization and procedure).")


def _randomized_rows(b: TableBuilder, data: StudyData, arms: Arms) -> None:
    randomized = data.randomized["arm"].value_counts()
    included = data.patients["arm"].value_counts()
    registry = data.study.is_registry
    b.heading("Registration (groups by index modality)" if registry else "Randomization")
    b.row("Registered" if registry else "Randomized", _per_arm(arms, randomized))
    if registry:
        unknown = int(data.randomized["arm"].isna().sum())
        if unknown:
            b.row("Registered, group not yet known", (*(Cell() for _ in arms.codes),
                                                      Cell(str(unknown))))
    left_out = randomized.sub(included, fill_value=0)
    if left_out.sum():
        b.row("Left out by the report filters", _per_arm(arms, left_out))
    b.row("Included in this report", _per_arm(arms, included))
    treated = data.patients[data.patients["subject"].isin(data.procedures["subject"])]
    b.row("Procedure done", _per_arm(arms, treated["arm"].value_counts()))
    withdrawn = data.patients[data.patients["status"] == "withdrawn"]
    b.row("Withdrawn (at any time)", _per_arm(arms, withdrawn["arm"].value_counts()))


def _timepoint_rows(b: TableBuilder, data: StudyData, arms: Arms) -> None:
    counts = _visit_counts(data)
    none = pd.Series(dtype="int64")
    for tp in data.study.timepoints:
        at = counts.get(tp.code)
        b.heading(f"Follow-up: {tp.label}")
        scheduled = none if at is None else at.sum(axis=0)
        unscheduled = data.patients["arm"].value_counts().sub(scheduled, fill_value=0)
        for code, label in FOLLOW_UP_STATES:
            if code == "not_scheduled":
                per_arm = unscheduled
            elif at is not None and code in at.index:
                per_arm = at.loc[code]
            else:
                per_arm = none
            if code in ("assessed", "pending", "missed") or per_arm.sum():
                b.row(label, _per_arm(arms, per_arm))


def _visit_counts(data: StudyData) -> dict[str, pd.DataFrame]:
    """For each timepoint, its visits counted by flow state (rows) and arm (columns): a
    ``groupby(["timepoint", "flow", "arm"]).size()`` on codes, each distinct text coded
    once (grouping 1.2 million visits by three texts took a third of a second). Visits
    whose patient has no arm are left out, as the groupby leaves them out."""
    tp_codes, tps = factorized(data.assessments["timepoint"].to_numpy())
    flow_codes, flows = factorized(_follow_up_state(data).to_numpy())
    patient_arms, arm_codes = pd.factorize(data.patients["arm"])
    arm_at = patient_arms[data.rows["assessments"]]
    keep = (tp_codes >= 0) & (flow_codes >= 0) & (arm_at >= 0)
    shape = (len(tps), len(flows), len(arm_codes))
    grid = np.bincount(np.ravel_multi_index(
        (tp_codes[keep], flow_codes[keep], arm_at[keep]), shape),
        minlength=int(np.prod(shape))).reshape(shape)
    return {tp: pd.DataFrame(grid[i], index=list(flows), columns=list(arm_codes))
            for i, tp in enumerate(tps)}


def _deviation_rows(b: TableBuilder, data: StudyData, arms: Arms) -> None:
    """Protocol deviations: the index procedure under another modality than the arm's
    (randomized studies), its dose not recorded, another deviation confirmed with a
    reason at its entry (the steroid cap exceeded), at the index procedure or a repeat one,
    visits outside their window, outcomes not collected at a completed visit."""
    b.heading("Protocol deviations")
    proc = data.procedures.assign(arm=data.procedure_arms())
    if not data.study.is_registry:
        modality = {a.code: a.modality for a in data.study.arms}
        other = proc[proc["modality"] != proc["arm"].map(modality)]
        b.row("Index procedure under another modality than the arm's",
              _per_arm(arms, other["arm"].value_counts()))
    ct = proc["modality"].isin(MODALITIES_WITH_CT_DOSE)
    dap = proc["modality"].isin(MODALITIES_WITH_DAP)
    no_dose = (ct & (proc["dlp_mgy_cm"].isna() | proc["ctdivol_mgy"].isna())) | (
        dap & proc["dap_mgy_cm2"].isna())
    b.row("Index procedure without its radiation dose", _per_arm(arms, proc.loc[
        no_dose, "arm"].value_counts()))
    counted = no_dose | (proc["modality"] != proc["arm"].map(
        {a.code: a.modality for a in data.study.arms}) if not data.study.is_registry else False)
    other = proc[proc["deviation_reason"].notna() & ~counted]
    if len(other):  # (a row only where there is one: the steroid cap)
        b.row("Index procedure with another deviation confirmed at entry",
              _per_arm(arms, other["arm"].value_counts()))
    repeats = data.repeat_deviations.groupby(proc["arm"]).sum()
    if repeats.sum():  # (counted as procedures: a patient may have several)
        b.row("Repeat procedures with a deviation confirmed at entry", _per_arm(arms, repeats))
    a = data.assessments
    completed = a["state"] == "completed"
    done = a[completed].assign(arm=data.of_patient("assessments", "arm")[completed])
    visit = _days(done["visit_on"])
    outside = done[(visit < _days(done["window_open"])) | (visit > _days(done["window_close"]))]
    b.row("Visits outside their window", _per_arm(arms, outside["arm"].value_counts()))
    missing = done[done["missing_reason"].notna()]
    b.row("Visits with an outcome not collected (reason recorded)",
          _per_arm(arms, missing["arm"].value_counts()))
    b.note("Protocol deviations: index procedures, repeat procedures confirmed as deviations, "
           "and completed visits are counted. A procedure's deviation is confirmed with a "
           "reason at entry; a visit outside its window is kept and flagged (each is listed "
           "on the patient's page).")


def _days(dates: pd.Series) -> pd.Series:
    """``pd.to_datetime(dates)``, each distinct date converted once (a few hundred days
    over hundreds of thousands of visits)."""
    codes, distinct = pd.factorize(dates.to_numpy())
    days = pd.Series(pd.to_datetime(pd.Series([*distinct, None], dtype=object)).to_numpy())
    return pd.Series(days.to_numpy()[codes], index=dates.index)


def flow_table(data: StudyData, arms: Arms) -> Table:
    columns = (*arms.columns(p=False), Column("Total"))
    b = TableBuilder("flow", "Participant flow (CONSORT)", "Stage", columns)
    _screening_rows(b, data, arms)
    _randomized_rows(b, data, arms)
    _timepoint_rows(b, data, arms)
    _deviation_rows(b, data, arms)
    b.note(f"Follow-up status as of {data.filters.as_of.isoformat()}: pending = upcoming, due "
           "or overdue within its window; missed = window closed with nothing recorded.")
    b.notes.extend(data.exclusions)
    return b.build()
