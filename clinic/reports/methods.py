"""The statistical methods paragraph, written from what actually ran."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

import pandas as pd

from clinic.reports.data import StudyData, StudyInfo
from clinic.reports.tables import TEST_NAMES, Table

PACKAGES = ("numpy", "scipy", "pandas", "statsmodels", "reportlab", "openpyxl", "pyreadstat")


def software_versions() -> list[tuple[str, str]]:
    found = [("Python", platform.python_version())]
    for name in PACKAGES:
        try:
            found.append((name, version(name)))
        except PackageNotFoundError:
            found.append((name, "not installed"))
    try:
        found.insert(0, ("clinic", version("clinic")))
    except PackageNotFoundError:
        found.insert(0, ("clinic", "source tree"))
    return found


def tests_used(tables: list[Table]) -> set[str]:
    names = {text: test for test, text in TEST_NAMES.items()}
    used = set()
    for table in tables:
        for note in table.footnotes:
            symbol, _, text = note.partition(" ")
            if len(symbol) == 1 and text in names:
                used.add(names[text])
    return used


def _sentences(used: set[str], coefficients: bool) -> list[str]:
    out = ["Categorical variables are given as counts and percentages of the patients with a "
           "recorded value; continuous variables as median (interquartile range) and, for age "
           "and BMI, also mean ± standard deviation. Quartiles use SPSS's weighted average "
           "definition (HAVERAGE, Hyndman–Fan type 6)."]
    if used & {"student_t", "mann_whitney"}:
        out.append("Normality was assessed in each arm with the Kolmogorov–Smirnov test "
                   "(Lilliefors correction); two arms were compared with Student's t-test when "
                   "every arm was normal (p ≥ 0.05) and with the Mann–Whitney U test otherwise "
                   "or when normality could not be assessed.")
    if "kruskal_wallis" in used:
        out.append("Three or more arms were compared with the Kruskal–Wallis H test, followed "
                   "by Dunn's pairwise test with Bonferroni adjustment.")
    if used & {"pearson_chi_square", "fisher_exact", "fisher_freeman_halton"}:
        out.append("Categorical variables were compared with Pearson's χ² test without "
                   "continuity correction; for tables with an expected count below 5, "
                   "Fisher's exact test was used (for tables larger than 2×2 its "
                   "Fisher–Freeman–Halton extension, the p-value summing the probabilities of "
                   "the tables no more probable than the one observed). Categories with no "
                   "patient in any arm were left out of the test.")
    if "friedman" in used:
        out.append("Change across timepoints within each arm was tested with the Friedman "
                   "test on complete cases (patients with a value at every timepoint "
                   "analysed); pairwise post hoc comparisons of mean ranks (Dunn, as in SPSS) "
                   "were adjusted with the Bonferroni correction.")
    out.append("Ranks are computed on exact values (ODI from the raw section sum), so equal "
               "scores tie. Missing values were not imputed; each cell gives the n analysed. "
               "Two-sided p < 0.05 was considered significant; p-values are not adjusted for "
               "the number of timepoints or outcomes.")
    if coefficients:
        out.append("Dose quantities are reported in their own units per modality; modalities "
                   "are compared through an estimated effective dose (mSv) from published "
                   "conversion coefficients (Table 4 footnotes).")
    return out


def methods_text(tables: list[Table], coefficients: bool, study: StudyInfo | None = None,
                 missing: list[str] | None = None, collection: str | None = None) -> list[str]:
    """Paragraphs: the design, what is missing, the statistics that ran, the protocol's
    amendments, then the software with versions."""
    software = ", ".join(f"{name} {ver}" for name, ver in software_versions())
    out = []
    if study is not None and study.is_registry:
        out.append("Design: a registry; the groups were not randomized. Each patient's group "
                   "is the guidance modality of the index procedure. Baseline differences "
                   "between the groups are given with standardized mean differences; "
                   + ("the outcomes are compared again after 1:1 propensity-score matching "
                      "(Table 7: the matching and its balance; Table 8: the matched sample)."
                      if study.matching else "no matching was specified in the protocol."))
    if missing:
        out.append("Data so far: " + " ".join(missing))
    if collection:
        out.append(collection)
    out.append(" ".join(_sentences(tests_used(tables), coefficients)))
    if study is not None and study.amendments:
        out.append(f"Protocol version {study.protocol_version}; amendments: " + "; ".join(
            f"{a.number} ({a.made_on.isoformat()}): {a.summary} — reason: {a.reason}"
            for a in study.amendments) + ".")
    if study is not None and study.database_lock:
        when, who = study.database_lock
        out.append(f"The database was locked on {when:%Y-%m-%d %H:%M} UTC by {who}, before "
                   "this analysis: no data could be changed after that.")
    out.append(f"Analyses were generated by the clinic study report ({software}); the test "
               "implementations reproduce SPSS 20 output.")
    return out


MODE_WORDS = {"in_clinic": "in clinic", "phone": "by telephone",
              "self_report": "by the patients themselves through a link sent by e-mail"}


def collection_sentence(assessments: pd.DataFrame) -> str | None:
    """How the completed follow-ups were collected, with counts by mode."""
    done = assessments[assessments["state"] == "completed"]
    if done.empty:
        return None
    counts = done["mode"].fillna("unknown").value_counts()
    parts = [f"{MODE_WORDS.get(mode, 'in an unrecorded way')} (n = {int(n)})"
             for mode, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Of {len(done)} completed visits, the scores were collected {listed}."


def completeness(data: StudyData) -> list[str]:
    """What is missing, in words, so an early or empty report explains its empty cells."""
    patients, treated = len(data.patients), data.procedures["subject"].nunique()
    if patients == 0:
        return ["no patient is included yet: every table below is empty."]
    notes = []
    if treated < patients:
        notes.append(f"{patients - treated} of {patients} patients have no procedure recorded "
                     "yet (no follow-up is scheduled for them).")
    if data.study.is_registry:
        unknown = int(data.patients["arm"].isna().sum())
        if unknown:
            notes.append(f"{unknown} registered patient(s) have no group yet (no index "
                         "procedure of a compared modality).")
    recorded = set(data.scores["timepoint"])
    unreached = [t.label for t in data.study.timepoints if t.code not in recorded]
    if len(data.scores) == 0:
        notes.append("no follow-up score is recorded yet.")
    elif unreached:
        notes.append(f"nothing is recorded yet at: {', '.join(unreached)}.")
    return notes
