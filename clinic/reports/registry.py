"""A registry's comparison: the groups are not randomized, so the report shows how they
differ at baseline (standardized mean differences beside the p-values) and compares the
outcomes again after 1:1 propensity-score matching (clinic.stats.matching), with the
balance before and after and a Love plot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clinic.protocol.document import BASE_COVARIATES, BASELINE_SCORE
from clinic.reports.cells import Arms, compare_p_cell, summary_cell
from clinic.reports.data import StudyData
from clinic.reports.outcomes import long_scores, outcome_instruments, outcome_label
from clinic.reports.tables import Cell, Column, Table, TableBuilder
from clinic.scoring.instruments import INSTRUMENTS
from clinic.stats import compare_categorical, compare_groups
from clinic.stats.format import fmt_number
from clinic.stats.matching import (
    BALANCE_TARGET,
    BalanceRow,
    MatchResult,
    balance,
    fit_propensity,
    match_nearest,
    pooled_smd,
)

NOT_RANDOMIZED = ("The groups were not randomized: each patient's group is the guidance "
                  "modality of the index procedure. Baseline differences are shown as "
                  "standardized mean differences (SMD) beside the p-values.")


@dataclass(frozen=True)
class MatchedAnalysis:
    treated: str  # arm code
    control: str
    covariates: tuple[str, ...]
    subjects: tuple[str, ...]  # patients with every covariate, in data order
    match: MatchResult | None
    balance: tuple[BalanceRow, ...]
    reason: str | None  # why no matching could be done

    @property
    def matched_subjects(self) -> set[str]:
        if self.match is None:
            return set()
        return {self.subjects[i] for pair in self.match.pairs for i in pair}


def covariate_frame(data: StudyData, names: tuple[str, ...]) -> pd.DataFrame:
    """subject, arm and one numeric column per covariate (sex as female = 1)."""
    p = data.patients.set_index("subject")
    frame = pd.DataFrame({"subject": p.index, "arm": p["arm"].to_numpy()})
    for name in names:
        if name == "sex":
            column = (p["sex"] == "female").astype(float).where(p["sex"].notna())
        elif name.startswith(BASELINE_SCORE):
            instrument = name.removeprefix(BASELINE_SCORE)
            s = data.scores[(data.scores["instrument"] == instrument)
                            & (data.scores["timepoint"] == data.study.baseline)]
            column = p.index.to_series().map(s.set_index("subject")["value"])
        else:
            column = pd.to_numeric(p[name], errors="coerce")
        frame[name] = np.asarray(column, dtype=float)
    return frame


def covariate_label(name: str) -> str:
    if name.startswith(BASELINE_SCORE):
        code = name.removeprefix(BASELINE_SCORE)
        return f"Baseline {INSTRUMENTS[code].label}" if code in INSTRUMENTS else name
    return BASE_COVARIATES.get(name, name)


def matched_analysis(data: StudyData, arms: Arms) -> MatchedAnalysis | None:
    spec = data.study.matching
    if spec is None or not data.study.is_registry:
        return None
    others = [c for c in arms.codes if c != spec.treated]
    control = others[0] if len(others) == 1 else ""
    frame = covariate_frame(data, spec.covariates)
    frame = frame[frame["arm"].isin([spec.treated, control])]
    complete = frame.dropna(subset=list(spec.covariates)).reset_index(drop=True)
    base = MatchedAnalysis(spec.treated, control, spec.covariates,
                           tuple(complete["subject"]), None, (), None)
    reason = _why_not(spec.treated, control, complete)
    if reason is None:
        treated = (complete["arm"] == spec.treated).to_numpy()
        x = complete[list(spec.covariates)].to_numpy(dtype=float)
        try:
            fit = fit_propensity(x, treated)
        except ValueError as error:
            reason = str(error)
        else:
            match = match_nearest(fit.linear, treated, spec.caliper_sd)
            rows = balance([covariate_label(n) for n in spec.covariates], x, treated, match)
            return MatchedAnalysis(spec.treated, control, spec.covariates, base.subjects,
                                   match, tuple(rows), None)
    return MatchedAnalysis(**{**base.__dict__, "reason": reason})


def _why_not(treated: str, control: str, complete: pd.DataFrame) -> str | None:
    if not control:
        return "matching compares the matched group with exactly one other group"
    counts = complete["arm"].value_counts()
    if counts.get(treated, 0) < 2 or counts.get(control, 0) < 2:
        return ("too few patients with every covariate recorded "
                f"({int(counts.get(treated, 0))} and {int(counts.get(control, 0))})")
    return None


def baseline_differences(data: StudyData, arms: Arms, no_matching: str | None = None) -> Table:
    """Covariates by group with p and SMD (the unmatched groups)."""
    columns = (*arms.columns(p=True), Column("SMD"))
    b = TableBuilder("table1b", "Table 1b. Baseline differences between the groups "
                     "(not randomized)", "Characteristic", columns)
    names = data.study.matching.covariates if data.study.matching else tuple(BASE_COVARIATES)
    frame = covariate_frame(data, tuple(names))
    for name in names:
        values = {c: frame.loc[frame["arm"] == c, name].dropna().to_numpy() for c in arms.codes}
        label = covariate_label(name)
        if name == "sex":
            counts = pd.DataFrame({c: [int(values[c].sum()), int(len(values[c]) - values[c].sum())]
                                   for c in arms.codes}, index=["female", "male"])
            p = compare_p_cell(compare_categorical(counts), b, label)
            cells = tuple(Cell(f"{int(values[c].sum())} ({100 * values[c].mean():.1f}%)"
                               if len(values[c]) else "—", len(values[c])) for c in arms.codes)
        else:
            comp = compare_groups(values)
            p = compare_p_cell(comp, b, label)
            cells = tuple(summary_cell((comp.descriptives or {}).get(c) or _describe(values[c]))
                          for c in arms.codes)
        b.row(label, (*cells, p, Cell(_smd_text(values, arms))))
    b.note(NOT_RANDOMIZED)
    b.note("SMD: difference of the group means (for sex, of the proportions of women) "
           "divided by the root of the mean of the two group variances; |SMD| < 0.1 is "
           "usually read as balanced. Shown for two groups.")
    if no_matching:
        b.note(f"Propensity-score matching was not done: {no_matching}.")
    return b.build()


def _describe(values: np.ndarray):  # noqa: ANN202
    from clinic.stats import describe

    return describe(values)


def _smd_text(values: dict[str, np.ndarray], arms: Arms) -> str:
    if len(arms.codes) != 2:
        return ""
    smd = pooled_smd(values[arms.codes[0]], values[arms.codes[1]])
    return "—" if smd is None else fmt_number(smd, 2)


def balance_table(analysis: MatchedAnalysis, arms: Arms, data: StudyData) -> Table:
    t, c = analysis.treated, analysis.control
    columns = (Column(f"{arms.labels.get(t, t)}"), Column(f"{arms.labels.get(c, c)}: all"),
               Column("SMD before"), Column(f"{arms.labels.get(c, c)}: matched"),
               Column("SMD after"))
    b = TableBuilder("matching", "Table 7. Propensity-score matching: covariate balance",
                     "Covariate (mean)", columns)
    for row in analysis.balance:
        b.row(row.covariate, (Cell(fmt_number(row.mean_treated, 2)),
                              Cell(fmt_number(row.mean_control, 2)),
                              Cell(fmt_number(row.smd_before, 3)),
                              Cell(fmt_number(row.mean_control_matched, 2)),
                              Cell(_after(row))))
    for line in matching_notes(analysis, arms, data):
        b.note(line)
    return b.build()


def _after(row: BalanceRow) -> str:
    text = fmt_number(row.smd_after, 3)
    return text if row.balanced is None or row.balanced else f"{text} (≥ {BALANCE_TARGET})"


def matching_notes(analysis: MatchedAnalysis, arms: Arms, data: StudyData) -> list[str]:
    spec = data.study.matching
    assert spec is not None
    caliper = ("no caliper" if spec.caliper_sd is None else
               f"a caliper of {spec.caliper_sd:g} standard deviations of the logit of the "
               f"score ({fmt_number(analysis.match.caliper, 3) if analysis.match else '—'})")
    lines = [f"Logistic propensity score for being in {arms.labels.get(analysis.treated)} on "
             f"{', '.join(covariate_label(n) for n in analysis.covariates)}; greedy 1:1 "
             f"nearest-neighbour matching on the logit of the score, without replacement, "
             f"largest score first, ties in data order, {caliper} (MatchIt's rules, "
             "estimand ATT). SMD after matching: difference of the matched means divided "
             "by the standard deviation of the matched group before matching; target |SMD| "
             f"< {BALANCE_TARGET}."]
    left = len(data.patients[data.patients["arm"].isin([analysis.treated,
                                                        analysis.control])]) - len(
        analysis.subjects)
    if left:
        lines.append(f"{left} patient(s) lack a covariate and were not matched; the "
                     "'before' columns describe the patients with every covariate, so they "
                     "can differ from Table 1b, which uses every value recorded.")
    unbalanced = [row.covariate for row in analysis.balance if row.balanced is False]
    if unbalanced:
        lines.append(f"Balance not reached for {len(unbalanced)} of {len(analysis.balance)} "
                     f"covariates ({', '.join(unbalanced)}: |SMD| ≥ {BALANCE_TARGET} after "
                     "matching): the matched comparison (Table 8) is not adjusted for them; "
                     "read it as descriptive, or match on more patients or another caliper.")
    if analysis.match is not None:
        unmatched = [analysis.subjects[i] for i in analysis.match.unmatched_treated]
        lines.append(f"{len(analysis.match.pairs)} matched pairs."
                     + (f" Without a match within the caliper: {', '.join(unmatched)}."
                        if unmatched else ""))
        if spec.caliper_sd is None:
            lines.append("No caliper was used: every patient of the matched group got the "
                         "nearest control, however far.")
    return lines


def matched_outcomes(analysis: MatchedAnalysis, data: StudyData, arms: Arms) -> Table:
    t, c = analysis.treated, analysis.control
    pair = Arms((t, c), {t: arms.labels[t], c: arms.labels[c]},
                {t: arms.modality[t], c: arms.modality[c]},
                {t: len(analysis.match.pairs) if analysis.match else 0,
                 c: len(analysis.match.pairs) if analysis.match else 0})
    b = TableBuilder("matched_outcomes", "Table 8. Outcomes in the matched sample",
                     "Variable", pair.columns())
    matched = analysis.matched_subjects
    for code in outcome_instruments(data):
        scores = long_scores(data, code)
        scores = scores[scores["subject"].isin(matched) & scores["value"].notna()]
        b.heading(outcome_label(code))
        for tp in data.study.timepoints_of(code):
            at = scores[scores["timepoint"] == tp]
            comp = compare_groups({a: at.loc[at["arm"] == a, "value"].to_numpy()
                                   for a in pair.codes})
            desc = comp.descriptives or {}
            cells = tuple(summary_cell(desc.get(a) or _describe(
                at.loc[at["arm"] == a, "value"].to_numpy())) for a in pair.codes)
            b.row(data.study.label_of(tp), (*cells, compare_p_cell(
                comp, b, f"{outcome_label(code)} at {data.study.label_of(tp)}")))
    b.note("Median (IQR) of the matched patients; the groups are compared as independent "
           "samples, as in the unmatched analysis.")
    return b.build()


def registry_tables(data: StudyData, arms: Arms) -> tuple[list[Table], MatchedAnalysis | None]:
    analysis = matched_analysis(data, arms)
    why_not = analysis.reason if analysis is not None and analysis.match is None else None
    tables = [baseline_differences(data, arms, why_not)]
    if analysis is None or analysis.match is None:
        return tables, analysis
    return [*tables, balance_table(analysis, arms, data),
            matched_outcomes(analysis, data, arms)], analysis
