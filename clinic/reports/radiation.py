"""Table 4: radiation dose and operative time.

Each dose quantity is shown in its own unit, only for the arms whose modality
records it: DAP (mGy·cm²) and CTDIvol (mGy) / DLP (mGy·cm) are never compared
with each other. Arms are compared across modalities only through an effective
dose *estimate* (mSv) from published conversion coefficients (see COEFFICIENTS).
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from clinic import catalog
from clinic.reports.cells import EMPTY, Arms, compare_p_cell, summary_cell
from clinic.reports.data import StudyData
from clinic.reports.tables import Cell, Table, TableBuilder
from clinic.stats import compare_groups, describe

QUANTITIES: tuple[tuple[str, str, Collection[str]], ...] = (
    ("dap_mgy_cm2", "Dose–area product, DAP (mGy·cm²)", catalog.MODALITIES_WITH_DAP),
    ("fluoroscopy_time_s", "Fluoroscopy time (s)", catalog.MODALITIES_WITH_DAP),
    ("ctdivol_mgy", "CTDIvol (mGy)", catalog.MODALITIES_WITH_CT_DOSE),
    ("dlp_mgy_cm", "Dose–length product, DLP (mGy·cm)", catalog.MODALITIES_WITH_CT_DOSE),
)
NO_RADIATION = frozenset({"ultrasound", "us_mri_fusion", "landmark"})
DAP_K = 0.33  # mSv per Gy·cm²
DLP_K = 0.015  # mSv per mGy·cm
COEFFICIENTS = (
    "Fluoroscopy: E = DAP × 0.33 mSv/(Gy·cm²), the coefficient derived for lumbar epidural "
    "steroid injection by Kim S, Toncheva G, Anderson-Evans C, et al. Kerma area product "
    "method for effective dose estimation during lumbar epidural steroid injection "
    "procedures: phantom study. AJR Am J Roentgenol 2009;192(6):1726–1730.",
    "CT: E = DLP × 0.015 mSv/(mGy·cm), the adult abdomen–pelvis (lumbar region) coefficient "
    "of AAPM Report No. 96 (McCollough C, et al. The measurement, reporting, and management "
    "of radiation dose in CT. American Association of Physicists in Medicine, 2008).",
)
LUMBAR_LEVELS = frozenset({"L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1", "SIJ"})


def _with_arm(data: StudyData) -> pd.DataFrame:
    return data.procedures.assign(arm=data.procedure_arms())


def effective_dose(proc: pd.DataFrame, targets: pd.DataFrame) -> pd.Series:
    """Estimated effective dose (mSv) per procedure; NaN where no coefficient applies."""
    outside = set(targets.loc[~targets["level"].isin(LUMBAR_LEVELS), "subject"])
    lumbar = ~proc["subject"].isin(outside)
    e = pd.Series(np.nan, index=proc.index)
    fluoro = lumbar & (proc["modality"] == "fluoroscopy")
    ct = lumbar & (proc["modality"] == "ct")
    e[fluoro] = proc.loc[fluoro, "dap_mgy_cm2"].astype(float) / 1000.0 * DAP_K
    e[ct] = proc.loc[ct, "dlp_mgy_cm"].astype(float) * DLP_K
    return e


def _quantity_row(b: TableBuilder, proc: pd.DataFrame, arms: Arms, column: str, label: str,
                  recording: Collection[str], decimals: int = 1) -> None:
    using = [c for c in arms.codes if arms.modality[c] in recording]
    values = {c: proc.loc[proc["arm"] == c, column].dropna().to_numpy(dtype=float)
              for c in using}
    cells = []
    for c in arms.codes:
        if c in using:
            cells.append(summary_cell(describe(values[c]), decimals=decimals))
        else:
            modality = catalog.MODALITIES[arms.modality[c]]
            cells.append(Cell(EMPTY, note=f"not recorded for {modality}"))
    if len(using) >= 2:
        p = compare_p_cell(compare_groups(values), b, label)
    else:
        p = Cell(EMPTY, note="recorded in one arm only: no comparison across unlike units")
    b.row(label, (*cells, p))


def _dose_rows(b: TableBuilder, data: StudyData, proc: pd.DataFrame, arms: Arms) -> None:
    modalities = set(arms.modality.values())
    for column, label, recording in QUANTITIES:
        if modalities & set(recording):
            _quantity_row(b, proc, arms, column, label, recording)
    proc = proc.assign(effective=effective_dose(proc, data.targets))
    estimable = [c for c in arms.codes if arms.modality[c] in ("fluoroscopy", "ct")]
    if len(estimable) >= 2:
        _quantity_row(b, proc, arms, "effective", "Effective dose, estimate (mSv)",
                      {arms.modality[c] for c in estimable}, decimals=2)
        b.abbreviations.extend(COEFFICIENTS)
        b.note("Effective dose is an estimate from conversion coefficients (ICRP 60 "
               "weighting), for lumbar and sacroiliac procedures only; it compares "
               "modalities, the measured quantities above do not.")
    for c in arms.codes:
        if arms.modality[c] in NO_RADIATION:
            b.note(f"{arms.labels[c]}: {catalog.MODALITIES[arms.modality[c]]} uses no "
                   "ionising radiation.")
    b.note("Dose quantities are shown only for the arms whose modality records them; "
           "'—' marks a quantity the modality does not produce.")
    _other_modality_doses(b, proc, arms)


def _other_modality_doses(b: TableBuilder, proc: pd.DataFrame, arms: Arms) -> None:
    """A procedure done under another modality than its arm's (a protocol deviation;
    analysed in its arm) may record a dose its arm's cells do not show: say so, with the
    values, so the arm's radiation is not understated unseen."""
    for c in arms.codes:
        own = arms.modality[c]
        rows = proc[(proc["arm"] == c) & (proc["modality"] != own)]
        for column, label, recording in QUANTITIES:
            if own in recording:
                continue
            values = rows[column].dropna().astype(float)
            if len(values):
                shown = ", ".join(f"{v:.1f}" for v in sorted(values))
                b.note(f"{arms.labels[c]}: {len(values)} procedure(s) under another "
                       f"modality than the arm's (protocol deviation) recorded {label}: "
                       f"{shown}; not in this arm's cells.")


def table4(data: StudyData, arms: Arms) -> Table:
    b = TableBuilder("table4", "Table 4. Radiation dose and operative time", "Variable",
                     arms.columns())
    proc = _with_arm(data)
    b.heading("Radiation")
    before = len(b.rows)
    _dose_rows(b, data, proc, arms)
    if len(b.rows) == before:  # no arm's modality records a dose
        b.rows.pop()
    b.heading("Time")
    per_puncture = proc["operative_time_min"].astype(float) / proc["punctures"].astype(float)
    proc = proc.assign(per_puncture=per_puncture)
    for column, label in (("operative_time_min", "Operative time (min)"),
                          ("per_puncture", "Time per puncture (min)")):
        values = {c: proc.loc[proc["arm"] == c, column].dropna().to_numpy(dtype=float)
                  for c in arms.codes}
        comp = compare_groups(values)
        desc = comp.descriptives or {c: describe(values[c]) for c in arms.codes}
        b.row(label, (*(summary_cell(desc[c]) for c in arms.codes),
                      compare_p_cell(comp, b, label)))
    b.note("Operative time runs from skin localization to needle removal; time per puncture "
           "is operative time divided by the number of punctures.")
    b.abbreviations.append("Data are median (IQR) with the n analysed in each cell.")
    return b.build()
