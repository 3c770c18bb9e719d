"""Table 3: each outcome at each timepoint by arm, Friedman within arms, post hoc appendix."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from clinic.reports.cells import Arms, compare_p_cell, p_cell, statistic_text, summary_cell
from clinic.reports.data import StudyData, taken
from clinic.reports.tables import Cell, Column, Table, TableBuilder
from clinic.scoring.instruments import INSTRUMENTS, InstrumentKind
from clinic.stats import compare_groups, friedman
from clinic.stats.format import format_p
from clinic.stats.results import Describe, Friedman, GroupComparison

OUTCOME_KINDS = (InstrumentKind.SCALE, InstrumentKind.SECTIONS)


@dataclass(frozen=True)
class OutcomeAnalysis:
    """What ran for one outcome: comparisons per timepoint, Friedman per arm."""

    instrument: str
    label: str
    timepoints: tuple[str, ...]
    comparisons: dict[str, GroupComparison]
    friedman: dict[str, Friedman]
    not_computable: int  # recorded but not computable (e.g. too few ODI sections)


def outcome_instruments(data: StudyData) -> list[str]:
    return [code for code, _ in data.study.measures
            if code in INSTRUMENTS and INSTRUMENTS[code].kind in OUTCOME_KINDS]


def outcome_label(code: str) -> str:
    instrument = INSTRUMENTS[code]
    unit = instrument.unit.replace("-", "–")
    return f"{instrument.label}, {unit}" if unit else instrument.label


def long_scores(data: StudyData, code: str) -> pd.DataFrame:
    """subject, arm, timepoint, value for one instrument at its timepoints."""
    cells = [data.score_rows_at(code, tp) for tp in data.study.timepoints_of(code)]
    rows = np.sort(np.concatenate([c for c in cells if c is not None] or [[]])).astype(
        np.intp)  # the rows of the scores in their order, as a boolean mask picks them
    s = data.scores  # (only the columns used, and the arm of only the rows taken)
    patient = data.rows["scores"][rows]
    return pd.DataFrame({"subject": taken(s["subject"], rows),
                         "patient": patient,  # the subject's row in data.patients
                         "arm": data.patients["arm"].to_numpy()[patient],
                         "timepoint": taken(s["timepoint"], rows),
                         "value": s["value"].to_numpy(dtype=float)[rows]})


def _friedman(df: pd.DataFrame, order: tuple[str, ...], subjects: np.ndarray) -> Friedman:
    """Friedman's test of one arm. The subjects are told apart by their row in
    ``data.patients`` (integers: grouping 200,000 subject codes by text was a third of
    the test's time), and those excluded named by their code, as before."""
    recorded = set(df["timepoint"])
    present = [tp for tp in order if tp in recorded]
    if len(present) < 2:  # the engine is not called on fewer than two timepoints with data
        return Friedman(reason="fewer than two timepoints have values in this arm",
                        k=len(present), timepoints=tuple(present))
    result = friedman(df, subject="patient", timepoint="timepoint", value="value",
                      order=present)
    return replace(result, excluded=tuple(subjects[list(result.excluded)].tolist()))


def analyse_outcome(data: StudyData, arms: Arms, code: str) -> OutcomeAnalysis:
    df = long_scores(data, code)
    order = data.study.timepoints_of(code)
    known = df[df["value"].notna()]
    cells = {key: cell["value"].to_numpy()  # grouped once: row order kept in each cell
             for key, cell in known.groupby(["timepoint", "arm"], sort=False)}
    empty = known["value"].iloc[:0].to_numpy()
    comparisons = {tp: compare_groups({a: cells.get((tp, a), empty) for a in arms.codes})
                   for tp in order}
    by_arm = dict(tuple(known.groupby("arm", sort=False)))
    subjects = data.patients["subject"].to_numpy()
    fr = {a: _friedman(by_arm.get(a, known.iloc[:0]), order, subjects) for a in arms.codes}
    return OutcomeAnalysis(code, outcome_label(code), order, comparisons, fr,
                           int(df["value"].isna().sum()))


def _descriptive(comp: GroupComparison, arm: str) -> Describe:
    return (comp.descriptives or {}).get(arm) or Describe()


def _outcome_rows(b: TableBuilder, data: StudyData, arms: Arms, a: OutcomeAnalysis) -> None:
    b.heading(a.label)
    for tp in a.timepoints:
        comp = a.comparisons[tp]
        label = data.study.label_of(tp)
        cells = tuple(summary_cell(_descriptive(comp, c)) for c in arms.codes)
        if all(cell.n == 0 for cell in cells):
            b.note(f"{a.label} at {label}: nobody in the report recorded it, so the cells are "
                   "empty and no test ran.")
            b.row(label, (*cells, Cell("—", note="no values recorded")))
            continue
        b.row(label, (*cells, compare_p_cell(comp, b, f"{a.label} at {label}")))
    _friedman_rows(b, arms, a)
    if a.not_computable:
        b.note(f"{a.label}: {a.not_computable} recorded value(s) not computable (e.g. too few "
               "sections answered) are treated as missing.")


def _friedman_rows(b: TableBuilder, arms: Arms, a: OutcomeAnalysis) -> None:
    stats = [a.friedman[c] for c in arms.codes]
    mark = b.marks.of("friedman")
    b.row("Fr (Friedman χ²)", (*(Cell(statistic_text(f.statistic), mark=mark)
                                 for f in stats), Cell()))
    p_cells = [p_cell("friedman", f.p, f.reason, b, f"{a.label}, Friedman in "
                      f"{arms.labels[c]}") for c, f in zip(arms.codes, stats, strict=True)]
    b.row("p (Friedman)", (*p_cells, Cell()))
    b.row("n complete cases / timepoints", (*(Cell(f"{f.n} / {f.k}", f.n) for f in stats),
                                            Cell()))
    for c, f in zip(arms.codes, stats, strict=True):
        if f.k == 0:
            b.note(f"{a.label}, {arms.labels[c]}: nothing recorded yet: no Friedman test.")
        elif f.k == 1:
            b.note(f"{a.label}, {arms.labels[c]}: values at one timepoint only: no Friedman "
                   "test (it compares two timepoints or more).")
        elif f.k < len(a.timepoints):
            b.note(f"{a.label}, {arms.labels[c]}: Friedman over the {f.k} timepoint(s) with "
                   "values; timepoints nobody recorded are left out.")
    excluded = sum(len(f.excluded) for f in stats)
    if excluded:
        b.note(f"{a.label}: Friedman uses complete cases; {excluded} patient(s) with a value "
               "missing at some timepoint were excluded from it (see n complete cases).")


def table3(data: StudyData, arms: Arms, analyses: list[OutcomeAnalysis]) -> Table:
    b = TableBuilder("table3", "Table 3. Outcomes at each timepoint", "Variable",
                     arms.columns())
    for a in analyses:
        _outcome_rows(b, data, arms, a)
    if not analyses:
        b.note("The study collects no pain or disability outcome.")
    b.abbreviations.append("Data are median (IQR) with the n analysed in each cell. Fr "
                           "Friedman test statistic; pairwise post hoc comparisons are in "
                           "the appendix.")
    return b.build()


def _pairwise_rows(b: TableBuilder, prefix: str, frame: pd.DataFrame | None,
                   names: dict[str, str]) -> None:
    if frame is None:
        return
    for r in frame.itertuples(index=False):
        cells = (Cell(statistic_text(r.statistic)), Cell(statistic_text(r.se)),
                 Cell(statistic_text(r.z)), Cell(format_p(float(r.p))),
                 Cell(format_p(float(r.p_adj))))
        b.row(f"{prefix}: {names.get(r.a, r.a)} – {names.get(r.b, r.b)}", cells)


def _has_rows(frame: pd.DataFrame | None) -> bool:
    return frame is not None and not frame.empty


def posthoc_table(data: StudyData, arms: Arms, analyses: list[OutcomeAnalysis]) -> Table:
    cols = tuple(Column(t) for t in ("Mean-rank difference", "SE", "z", "p",
                                     "Adjusted p (Bonferroni)"))
    b = TableBuilder("appendix", "Appendix. Pairwise post hoc comparisons", "Comparison", cols)
    tps = {t.code: t.label for t in data.study.timepoints}
    kw_any = False  # Dunn between arms shown (three arms or more): its note too
    for a in analyses:
        within = [c for c in arms.codes if _has_rows(a.friedman[c].pairwise)]
        if within:  # a heading with no rows under it is left out
            b.heading(f"{a.label}: between timepoints (after Friedman)")
        for c in within:
            _pairwise_rows(b, arms.labels[c].split(":")[0], a.friedman[c].pairwise, tps)
        kw = [(tp, comp) for tp, comp in a.comparisons.items()
              if comp.test == "kruskal_wallis"
              and _has_rows(getattr(comp.result, "pairwise", None))]
        if kw:
            kw_any = True
            b.heading(f"{a.label}: between arms (Dunn, after Kruskal–Wallis)")
        for tp, comp in kw:
            _pairwise_rows(b, tps[tp], comp.result.pairwise,  # type: ignore[union-attr]
                           {c: arms.labels[c].split(":")[0] for c in arms.codes})
    arms_note = " Arms: Dunn's test with tie-corrected SE." if kw_any else ""
    b.abbreviations.append(
        "Timepoints: z = (mean rank a − mean rank b) / √(k(k+1)/(6n)) on the Friedman ranks "
        f"(Dunn / SPSS related-samples pairwise comparisons).{arms_note} p two-sided; "
        "adjusted p = p × number of pairs (Bonferroni), capped at 1.")
    return b.build()


def figure_series(a: OutcomeAnalysis, arm: str) -> list[tuple[float, float, float, int] | None]:
    """(median, q1, q3, n) per timepoint for the figure; None where nothing was recorded."""
    out: list[tuple[float, float, float, int] | None] = []
    for tp in a.timepoints:
        d = _descriptive(a.comparisons[tp], arm)
        ok = d.n > 0 and d.median is not None and d.q1 is not None and d.q3 is not None
        out.append((float(d.median), float(d.q1), float(d.q3), d.n) if ok else None)  # type: ignore[arg-type]
    return out

