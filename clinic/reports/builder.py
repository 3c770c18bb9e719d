"""Build a study report: data → statistics → format-independent tables and figure."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from sqlmodel import Session

from clinic.reports.baseline import table1, table2
from clinic.reports.cells import Arms
from clinic.reports.data import StudyData, StudyInfo, load_study_data, no_cyclic_gc
from clinic.reports.dataset import AnalysisDataset, build_dataset, data_version
from clinic.reports.effects import EffectRow, effect_rows
from clinic.reports.figure import Panel, Series
from clinic.reports.filters import ReportFilters
from clinic.reports.flow import flow_table
from clinic.reports.methods import collection_sentence, completeness, methods_text
from clinic.reports.outcomes import (
    OutcomeAnalysis,
    analyse_outcome,
    figure_series,
    outcome_instruments,
    posthoc_table,
    table3,
)
from clinic.reports.radiation import table4
from clinic.reports.registry import registry_tables
from clinic.reports.response import response_tables
from clinic.reports.safety import table5, table6
from clinic.reports.study_filters import study_filters
from clinic.reports.tables import Table
from clinic.scoring.instruments import INSTRUMENTS
from clinic.stats.matching import BalanceRow
from clinic.studies.setup import find_study

Progress = Callable[[str], None]
FIGURE_TITLE = "Figure. Outcomes over time by arm"
# from this many scores the data version is hashed on a thread beside the tables (200,000
# patients: 0.3-0.7 s sooner; 200 patients: 0.03 s later, so not there)
VERSION_BESIDE_ROWS = 100_000


def figure_title(report: Report) -> str:
    return FIGURE_TITLE.replace("by arm", "by group") if report.study.is_registry \
        else FIGURE_TITLE


@dataclass(frozen=True)
class Stamp:
    data_version: str  # SHA-256 over the rows used
    generated_at: datetime
    patients: int


@dataclass(frozen=True)
class Report:
    study: StudyInfo
    filters: ReportFilters
    tables: tuple[Table, ...]
    panels: tuple[Panel, ...]
    methods: tuple[str, ...]
    source: StudyData = field(repr=False, compare=False)  # the rows: for :attr:`dataset`
    stamp: Stamp
    balance: tuple[BalanceRow, ...] = ()  # a registry's matching: the Love plot's rows
    missing: tuple[str, ...] = ()  # what is not there yet, in words
    effects: tuple[EffectRow, ...] = ()  # effect sizes for meta-analysis (XLSX sheet)

    @cached_property
    def dataset(self) -> AnalysisDataset:
        """The analysis data set of the exports (CSV, XLSX, SPSS), built the first time
        one asks for it: the PDF and the web page do not, and at 200,000 patients it
        took 1.2 s of their build."""
        with no_cyclic_gc():
            return build_dataset(self.source)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def tables_csv(self) -> str:
        """Every table cell as CSV: byte-identical for the same data and filters."""
        return "".join(t.to_csv() if i == 0 else t.to_csv().split("\n", 1)[1]
                       for i, t in enumerate(self.tables))

    @property
    def figure_caption(self) -> str:
        return (f"{figure_title(self)}: median with interquartile band at each timepoint "
                "(n per cell in Table 3); lines break where nothing was recorded.")


def _panels(analyses: list[OutcomeAnalysis], data: StudyData, arms: Arms) -> tuple[Panel, ...]:
    labels = {t.code: t.label for t in data.study.timepoints}
    return tuple(
        Panel(a.label, tuple(labels[tp] for tp in a.timepoints),
              tuple(Series(arms.labels[c], tuple(figure_series(a, c))) for c in arms.codes),
              INSTRUMENTS[a.instrument].max_value)  # type: ignore[arg-type]
        for a in analyses)


OPTIONAL_TABLES = frozenset({"table6", "appendix"})  # left out when they have no rows


def compute_report(data: StudyData, progress: Progress | None = None,
                   now: datetime | None = None) -> Report:
    """Everything after the database: pure computation on the study's frames."""
    say = progress or (lambda _message: None)
    if len(data.scores) < VERSION_BESIDE_ROWS:  # a thread would cost more than it saves
        done: Future[str] = Future()
        done.set_result(data_version(data))
        return _compute(data, say, now, done)
    with ThreadPoolExecutor(1) as beside:  # the hash of the rows beside the tables
        version = beside.submit(data_version, data)
        return _compute(data, say, now, version)


def _compute(data: StudyData, say: Progress, now: datetime | None,
             version: Future[str]) -> Report:
    arms = Arms.of(data)
    say("baseline and procedure tables")
    tables = [flow_table(data, arms), table1(data, arms), table2(data, arms)]
    say("outcomes (between arms per timepoint, Friedman within arms)")
    analyses = [analyse_outcome(data, arms, code) for code in outcome_instruments(data)]
    tables.append(table3(data, arms, analyses))
    say("radiation, safety and satisfaction tables")
    tables += [table4(data, arms), table5(data, arms), table6(data, arms)]
    matched = None
    if data.study.is_registry:
        say("registry: baseline differences and propensity-score matching")
        extra, matched = registry_tables(data, arms)
        tables[2:2] = extra[:1]  # Table 1b after Table 1
        tables += extra[1:]
    tables += response_tables(data, arms)
    tables.append(posthoc_table(data, arms, analyses))
    tables = [t for t in tables if t.rows or t.key not in OPTIONAL_TABLES]
    coefficients = any("Effective dose" in r.label for t in tables if t.key == "table4"
                       for r in t.rows)
    say("completeness")
    missing = completeness(data)
    return Report(
        study=data.study, filters=data.filters, tables=tuple(tables),
        panels=_panels(analyses, data, arms),
        methods=tuple(methods_text(tables, coefficients, data.study, missing,
                                   collection_sentence(data.assessments))),
        source=data,
        stamp=Stamp(version.result(), now or datetime.now(UTC), len(data.patients)),
        balance=matched.balance if matched is not None and matched.match else (),
        missing=tuple(missing),
        effects=tuple(effect_rows(data, arms)),
    )


def build_report(session: Session, study_code: str, filters: ReportFilters, *,
                 timezone: str, progress: Progress | None = None) -> Report:
    """Load the study's data for ``filters`` and compute the report."""
    say = progress or (lambda _message: None)
    study = find_study(session, study_code)
    filters = study_filters(session, study, filters)
    say(f"reading study {study.code}")
    with no_cyclic_gc():
        data = load_study_data(session, study, filters, timezone)
        say(f"{len(data.patients)} patients included")
        return compute_report(data, say)
