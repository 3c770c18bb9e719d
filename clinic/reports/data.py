"""The report's data layer: the database → tidy DataFrames for one study and its filters.

This is the only module of the report that reads the database. Everything after it
(statistics, tables, figure, exports) works on the frames below, keyed by the
patient's pseudonymous ``subject`` (the study code): no database ids, no identity
data (``PatientIdentity`` is never read here).

Frames of :class:`StudyData` (one row per …):
  patients     included patient: subject, arm, site, sex, age, bmi, status, L3/L4/L5
  procedures   included patient's index (first) procedure, local date and dose fields
  targets      target (level, side) of an index procedure
  injectates   drug given at an index procedure: subject, drug, dose_mg (recorded, or
               concentration × volume)
  assessments  scheduled follow-up: subject, timepoint, state, status (as of the day)
  scores       recorded value: subject, timepoint, instrument, value (exact), reason
  events       adverse event: subject, event_type, severity, is_related
  screening    screening: site, is_eligible, failing (criterion codes, "|"-joined)
"""

from __future__ import annotations

import ctypes
import gc
import platform
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, and_, case, func, select, true
from sqlmodel import Session

import clinic.stats.pandas_setup  # noqa: F401  (texts in Python strings)
from clinic.catalog import DRUGS, NERVE_ROOTS, ROOTS
from clinic.models import (
    AdverseEvent,
    Assessment,
    EligibilityCriterion,
    Enrollment,
    Injectate,
    Patient,
    Procedure,
    ProcedureTarget,
    ProtocolAmendment,
    RecordLock,
    RootLaterality,
    Score,
    Screening,
    ScreeningAnswer,
    Site,
    Study,
    StudyArm,
    StudyTimepoint,
    User,
)
from clinic.procedures.inputs import MG_PER_ML_PER_PERCENT
from clinic.protocol.definition import REGISTRY, MatchingSpec
from clinic.reports.arrow import (
    arrow_frame,
    arrow_reads,
    end_reads,
    is_text,
    number_kind,
    prefetch,
    reads_in_bulk,
)
from clinic.reports.copy import copied_frame
from clinic.reports.filters import ReportFilters
from clinic.reports.snapshot import one_snapshot, snapshot_connection
from clinic.scheduling.status import status_case_on
from clinic.studies import setup

FETCH_ROWS = 50_000  # rows turned into columns at a time (the peak memory of a read)


@dataclass(frozen=True)
class ArmInfo:
    code: str
    label: str
    modality: str


@dataclass(frozen=True)
class TimepointInfo:
    code: str
    label: str
    offset_days: int
    is_baseline: bool


@dataclass(frozen=True)
class AmendmentInfo:
    number: int
    made_on: date
    summary: str
    reason: str


@dataclass(frozen=True)
class StudyInfo:
    code: str
    title: str
    design: str
    is_synthetic: bool
    arms: tuple[ArmInfo, ...]
    timepoints: tuple[TimepointInfo, ...]
    measures: tuple[tuple[str, tuple[str, ...]], ...]  # instrument, timepoint codes
    criteria: tuple[tuple[str, str, str], ...]  # code, kind, text
    design_type: str = "randomized"
    matching: MatchingSpec | None = None
    response_measures: tuple[str, ...] = ()  # NRS/VAS with weighted value and categories
    amendments: tuple[AmendmentInfo, ...] = ()
    protocol_version: int = 1
    database_lock: tuple[datetime, str] | None = None  # when, by whom (clinic.locks)
    roots: tuple[str, ...] = ROOTS  # whose laterality enrollment asks
    strata_rules: tuple[Mapping[str, Any], ...] = ()  # the protocol's factors and bins

    @property
    def is_registry(self) -> bool:
        return self.design_type == REGISTRY

    @property
    def baseline(self) -> str | None:
        return next((t.code for t in self.timepoints if t.is_baseline), None)

    def timepoints_of(self, instrument: str) -> tuple[str, ...]:
        return dict(self.measures).get(instrument, ())

    def label_of(self, timepoint: str) -> str:
        return next(t.label for t in self.timepoints if t.code == timepoint)


# drugs summarised as given or not, without their milligrams: saline has none, and "other"
# would add up different drugs
NO_DOSE_SUMMARY = frozenset({"saline", "other"})


@dataclass(frozen=True)
class DrugTotal:
    """One drug at the index procedures, row for row of ``StudyData.procedures``."""

    given: np.ndarray  # bool
    total_mg: np.ndarray  # float: NaN where a dose of it was not recorded, 0 where not given


def _drug_totals(injectates: pd.DataFrame, procedures: pd.DataFrame) -> dict[str, DrugTotal]:
    codes, drugs = pd.factorize(injectates["drug"])
    at = pd.Index(procedures["subject"]).get_indexer(injectates["subject"])
    doses = injectates["dose_mg"].to_numpy(dtype=float)
    missing = np.isnan(doses)
    known = np.where(missing, 0.0, doses)
    n = len(procedures)
    out = {}
    for drug in [d for d in DRUGS if d in set(drugs)]:
        mine = codes == list(drugs).index(drug)
        given = np.bincount(at[mine], minlength=n) > 0
        total = np.bincount(at[mine], weights=known[mine], minlength=n)
        gaps = np.bincount(at[mine], weights=missing[mine], minlength=n) > 0
        out[drug] = DrugTotal(given, np.where(gaps, np.nan, total))
    return out


@dataclass(frozen=True)
class StudyData:
    study: StudyInfo
    filters: ReportFilters
    timezone: str
    patients: pd.DataFrame
    procedures: pd.DataFrame
    targets: pd.DataFrame
    injectates: pd.DataFrame
    assessments: pd.DataFrame
    scores: pd.DataFrame
    events: pd.DataFrame
    screening: pd.DataFrame
    randomized: pd.DataFrame  # every enrolled patient before filters: subject, arm
    exclusions: tuple[str, ...]
    # on the rows of "procedures": the patient's later procedures confirmed as deviations
    repeat_deviations: pd.Series
    # for the rows of "procedures", "assessments" and "scores": their patient's position
    # in ``patients``;
    # for "score_visits": each score's visit, its row in ``assessments``
    rows: dict[str, np.ndarray] = field(repr=False, compare=False)
    _score_cells: dict[tuple[str, str], Any] | None = field(
        default=None, init=False, repr=False, compare=False)
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False,
                                  compare=False)  # columns derived once (visit_rows_at…)

    @property
    def laterality_roots(self) -> list[str]:
        """The roots with a laterality column in ``patients``, in anatomical order."""
        return [c.removeprefix("laterality_") for c in self.patients.columns
                if c.startswith("laterality_")]

    def of_patient(self, frame: str, column: str) -> pd.Series:
        """``patients[column]`` for each row of the frame named ``frame`` (on its index)."""
        target: pd.DataFrame = getattr(self, frame)
        return pd.Series(self.patients[column].to_numpy()[self.rows[frame]],
                         index=target.index)

    def procedure_arms(self) -> pd.Series:
        """Each procedure's arm (its patient's), on the procedures' index: what
        ``procedures["subject"].map(patients.set_index("subject")["arm"])`` gives, without
        looking up 200,000 subjects by text for each table that needs it."""
        if "procedure_arms" not in self._memo:
            self._memo["procedure_arms"] = self.of_patient("procedures", "arm").rename(
                "subject")  # (the name the map gave it)
        return self._memo["procedure_arms"]

    def drug_totals(self) -> dict[str, DrugTotal]:
        """Each drug given at an index procedure (in the catalog's order): for each row of
        ``procedures``, whether it was given, and the mg given in all (every level's dose
        added up; NaN where one of its doses was not recorded, 0 where not given).
        Counted on the procedures' positions (600,000 injectates of 200,000 patients in a
        few tenths of a second, where comparing their texts drug by drug took seconds)."""
        if "drug_totals" not in self._memo:
            self._memo["drug_totals"] = _drug_totals(self.injectates, self.procedures)
        return self._memo["drug_totals"]  # type: ignore[no-any-return]

    def scores_at(self, instrument: str, timepoint: str) -> pd.DataFrame:
        """The rows of ``scores`` for one instrument at one timepoint, in their order. The
        scores are grouped once (comparing millions of strings per call was slow); the
        groups are kept as row positions, not copies."""
        rows = self.score_rows_at(instrument, timepoint)
        return self.scores.iloc[:0] if rows is None else self.scores.take(rows)

    def score_rows_at(self, instrument: str, timepoint: str) -> np.ndarray | None:
        """The positions in ``scores`` of one instrument at one timepoint (None: none)."""
        if self._score_cells is None:
            object.__setattr__(self, "_score_cells", _cells(self.scores, "instrument",
                                                            "timepoint"))
        return self._score_cells.get((instrument, timepoint))  # type: ignore[union-attr]

    def visit_rows_at(self, timepoint: str) -> np.ndarray:
        """The positions in ``assessments`` of the visits at one timepoint, grouped once
        as the scores are (a report asks for each measure at each timepoint: at 200,000
        patients each comparison of 1.2 million texts took 30 ms)."""
        if "visit_cells" not in self._memo:
            codes, values = factorized(self.assessments["timepoint"].to_numpy())
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(len(values) + 1))
            self._memo["visit_cells"] = {value: order[bounds[i]:bounds[i + 1]]
                                         for i, value in enumerate(values)}
        return self._memo["visit_cells"].get(timepoint, np.array([], dtype=np.intp))

    def visits_in(self, statuses: tuple[str, ...]) -> np.ndarray:
        """For each row of ``assessments``: 1.0 if its status is one of ``statuses``, else
        0.0 (read once per set of statuses)."""
        key = f"status:{'|'.join(statuses)}"
        if key not in self._memo:
            self._memo[key] = self.assessments["status"].isin(statuses).to_numpy(dtype=float)
        return self._memo[key]

    def per_patient(self, frame: str, positions: np.ndarray | None,
                    values: np.ndarray) -> np.ndarray:
        """One value per row of ``patients``: ``values`` of the rows at ``positions`` in the
        frame named ``frame`` put at their patient's row (the last one when a patient has
        several), NaN elsewhere."""
        out = np.full(len(self.patients), np.nan, dtype=values.dtype)
        if positions is not None:
            out[self.rows[frame][positions]] = values[positions]
        return out


def _cells(frame: pd.DataFrame, first: str, second: str) -> dict[tuple[Any, Any], np.ndarray]:
    """``frame.groupby([first, second]).indices``: each pair of values, the positions of its
    rows in ascending order (missing values left out, as groupby does)."""
    a, a_values = factorized(frame[first].to_numpy())
    b, b_values = factorized(frame[second].to_numpy())
    known = np.flatnonzero((a >= 0) & (b >= 0))
    width = max(len(b_values), 1)
    key = a[known].astype(np.int64) * width + b[known]
    order = np.argsort(key, kind="stable")
    keys, starts = np.unique(key[order], return_index=True)
    ends = [*starts[1:], len(order)] if len(starts) else []
    return {(a_values[k // width], b_values[k % width]): known[order[start:end]]
            for k, start, end in zip(keys, starts, ends, strict=True)}


def _frame(session: Session, stmt: Select[Any]) -> pd.DataFrame:
    """Run a Core select on the session's connection; columns named by their labels.

    On PostgreSQL the rows come as text through COPY (:mod:`clinic.reports.copy`) when
    the columns allow; on SQLite, inside :func:`load_study_data`, as Arrow columns through
    ADBC (:mod:`clinic.reports.arrow`) when they can; otherwise straight from the
    driver's cursor (no SQLAlchemy row objects: at 200,000 patients that is millions of
    rows), a batch at a time, turned into columns by :class:`_ColumnReader`. All give the
    same frame."""
    connection = snapshot_connection(session) or session.connection()
    if connection.dialect.name == "postgresql":
        copied = copied_frame(connection, stmt)
        if copied is not None:
            return copied
    elif (columns := arrow_frame(session, stmt)) is not None:
        return columns
    return cursor_frame(connection, stmt)


def cursor_frame(connection: Any, stmt: Select[Any]) -> pd.DataFrame:
    """:func:`_frame` through the driver's cursor, on any engine."""
    columns = [c.key for c in stmt.selected_columns]
    with no_cyclic_gc():  # millions of fresh objects would set it off again and again
        result = connection.execute(stmt)
        cursor = result.cursor
        readers = [_ColumnReader(c.type, d[1], connection.dialect)  # d[1]: driver's type
                   for c, d in zip(stmt.selected_columns, cursor.description, strict=True)]
        while batch := cursor.fetchmany(FETCH_ROWS):
            for reader, column in zip(readers, zip(*batch, strict=True), strict=True):
                reader.add(column)
        result.close()
    frame = {}
    for key, reader in zip(columns, readers, strict=True):  # a column's objects go as its
        frame[key] = reader.column()                          # array is made
        reader.values = []
    return pd.DataFrame(frame, columns=columns)


class _ColumnReader:
    """One column of a query's result, read batch by batch.

    Its result processor (dates stored as text, booleans as integers) runs once per
    distinct value, and equal texts and processed values become one object: the driver
    makes a new object per row, and a column such as the timepoint code or a visit date
    holds a handful of values over millions of rows. Shared, they take the memory of a
    few, and each text keeps its hash, so that later lookups, groupings and comparisons
    skip hashing it again. Numbers stay as read (1 and 1.0 would be one value here)."""

    def __init__(self, column_type: Any, code: Any, dialect: Any) -> None:
        self.process = column_type.dialect_impl(dialect).result_processor(dialect, code)
        self.text: bool | None = True if is_text(column_type) else None  # None: not yet
        self.number = number_kind(column_type)
        self.shared: dict[Any, Any] = {}
        self.values: list[Any] = []

    def add(self, column: tuple[Any, ...]) -> None:
        if self.text is None:  # a computed column (CASE …) is text if its values are
            first = column[:50] if self.process is None else tuple(map(self.process,
                                                                       column[:50]))
            self.text = any(isinstance(v, str) for v in first)
        if self.process is None and not self.text:
            self.values.extend(column)
            return
        try:
            for value in set(column).difference(self.shared):
                self.shared[value] = value if self.process is None else self.process(value)
        except TypeError:  # an unhashable value: processed row by row
            self.values.extend(column if self.process is None else map(self.process, column))
            return
        self.values.extend(map(self.shared.__getitem__, column))

    def column(self) -> Any:
        """Text stays numpy ``object`` (pandas' python-backed ``str`` dtype is slow to
        compare), also when there are no rows, so that text operations on an empty study
        still work; other columns are left to pandas to type."""
        if self.text:
            return pd.Series(self.values, dtype=object)
        if self.number is not None and self.process is None and self.values:
            return pd.Series(_number_array(self.values, self.number))
        return pd.Series(self.values)  # typed as pandas types a list (int, float, object)


def _number_array(values: list[Any], kind: type) -> np.ndarray:
    """The array pandas would make of ``values`` (int64; float64 with NaN for a missing
    value, or for a float), without its type inference over every element."""
    if kind is int and None not in values:
        try:
            return np.array(values, dtype=np.int64)
        except (OverflowError, TypeError, ValueError):
            return pd.Series(values).to_numpy()
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        return pd.Series(values).to_numpy()


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while the report reads and computes: its rows
    and frames hold no reference cycles worth collecting, and each collection the
    millions of fresh objects would start walks every object made so far (at 200,000
    patients that was a third of the report's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def study_info(session: Session, study: Study) -> StudyInfo:
    sid: int = study.id  # type: ignore[assignment]
    tps = setup.timepoints(session, sid)
    every = tuple(t.code for t in tps)
    return StudyInfo(
        code=study.code, title=study.title, design=study.design,
        is_synthetic=study.is_synthetic,
        arms=tuple(ArmInfo(a.code, a.label, a.modality) for a in setup.arms(session, sid)),
        timepoints=tuple(TimepointInfo(t.code, t.label, t.offset_days, t.is_baseline)
                         for t in tps),
        measures=tuple((m.instrument, tuple(c for c in every if m.timepoint_codes is None
                                            or c in m.timepoint_codes))
                       for m in setup.measures(session, sid)),
        criteria=tuple((c.code, c.kind, c.text) for c in setup.criteria(session, sid)),
        design_type=study.design_type, matching=setup.matching_from_json(study.matching),
        response_measures=tuple(m.instrument for m in setup.measures(session, sid)
                                if m.response_categories),
        amendments=tuple(AmendmentInfo(a.number, a.made_at.date(), a.summary, a.reason)
                         for a in session.execute(select(ProtocolAmendment).where(
                             ProtocolAmendment.study_id == sid)  # type: ignore[arg-type]
                             .order_by(ProtocolAmendment.number)).scalars()),
        protocol_version=study.protocol_version,
        database_lock=_database_lock(session, sid),
        roots=setup.study_roots(study),
        strata_rules=tuple(study.strata_rules or ()),
    )


def _database_lock(session: Session, sid: int) -> tuple[datetime, str] | None:
    found = session.exec(select(RecordLock.locked_at, User.name)
                         .outerjoin(User, User.id == RecordLock.locked_by_id)  # type: ignore[arg-type]
                         .where(RecordLock.target == f"study:{sid}")).first()
    return None if found is None else (found[0], found[1] or "the system")


def _reads(sid: int, filters: ReportFilters,
           in_bulk: bool) -> tuple[list[Select[Any]], list[Select[Any]]]:
    """Every query of :func:`load_study_data`, in the order it reads them (the SQLite
    reader process runs each next one while this process works on the last): the small
    ones, and the two large ones (the visits and their scores, 2 of the 3 s of reads at
    200,000 patients), which a second reader may run beside them."""
    return ([_patient_rows(sid, filters.as_of), _laterality_rows(sid), _procedure_rows(sid),
             _target_rows(sid), _injectate_rows(sid), _screening_rows(sid), _answer_rows(sid),
             _event_rows(sid, filters.as_of)],
            [_visit_rows(sid, filters, in_bulk), _score_rows(sid)])


def _patient_rows(sid: int, as_of: date) -> Select[Any]:
    """The patients enrolled by ``as_of`` (a report as of a past day is that day's data
    cut-off: see :func:`_load_study_data`)."""
    return (select(Patient.id.label("pid"), Patient.study_code.label("subject"),  # type: ignore[union-attr]
                   StudyArm.code.label("arm"), Site.code.label("site"), Patient.sex,
                   Patient.age_at_enrollment, Patient.birth_year, Patient.bmi,
                   Patient.symptom_duration_months,
                   Enrollment.enrolled_on, Enrollment.status, Enrollment.withdrawal_reason,
                   Enrollment.withdrawn_at, Enrollment.stratum)
            .join(Patient, Patient.id == Enrollment.patient_id)
            .join(StudyArm, StudyArm.id == Enrollment.arm_id, isouter=True)
            .join(Site, Site.id == Patient.site_id)
            .where(Enrollment.study_id == sid, Enrollment.enrolled_on <= as_of)
            .order_by(Patient.study_code))


def _laterality_rows(sid: int) -> Select[Any]:
    return (select(RootLaterality.patient_id.label("pid"), RootLaterality.root,
                   RootLaterality.laterality)
            .join(Patient, Patient.id == RootLaterality.patient_id)
            .where(Patient.study_id == sid))


def _procedure_rows(sid: int) -> Select[Any]:
    p = Procedure
    return (select(p.patient_id.label("pid"), p.id.label("procedure_id"), p.performed_at,  # type: ignore[union-attr]
                   p.modality, p.procedure_type, p.punctures, p.contrast_extravasation,
                   p.dap_mgy_cm2, p.fluoroscopy_time_s, p.ctdivol_mgy, p.dlp_mgy_cm,
                   p.operative_time_min, p.first_attempt_success, p.needle_repositions,
                   p.deviation_reason)
            .join(Patient, Patient.id == p.patient_id).where(Patient.study_id == sid)
            .order_by(p.patient_id, p.performed_at, p.id))


def _target_rows(sid: int) -> Select[Any]:
    return (select(ProcedureTarget.procedure_id, ProcedureTarget.level, ProcedureTarget.side)
            .join(Procedure, Procedure.id == ProcedureTarget.procedure_id)
            .join(Patient, Patient.id == Procedure.patient_id)
            .where(Patient.study_id == sid).order_by(ProcedureTarget.id))


def _injectate_rows(sid: int) -> Select[Any]:
    return (select(Injectate.procedure_id, Injectate.drug, Injectate.dose_mg,
                   Injectate.concentration_pct, Injectate.volume_ml)
            .join(Procedure, Procedure.id == Injectate.procedure_id)
            .join(Patient, Patient.id == Procedure.patient_id)
            .where(Patient.study_id == sid).order_by(Injectate.id))


def _visit_rows(sid: int, filters: ReportFilters, by_id_range: bool) -> Select[Any]:
    """The visits as they stood on ``filters.as_of``: one recorded on a later day reads
    as pending then (its state, day and mode), with ``late`` 1 so that its scores are
    left out (a report as of a past day is the data cut-off of that day). In no
    particular order (a patient has one visit per timepoint: they are sorted by both).

    ``by_id_range`` (a large study on SQLite, read by the reader process): the visits are
    read as a walk of the table over the range of the study's visit ids, each checked
    for its study on the way, not through the index on the timepoint, which looks each
    of them up in the table (200,000 patients: 1.1 s against 1.5 s for 1.2 million
    visits). A small study's visits are few among others' in that range: the index."""
    a = Assessment
    late = and_(a.state == "completed", a.visit_on > filters.as_of)
    within = a.id.between(*_visit_id_range(sid)) if by_id_range else true()  # type: ignore[union-attr]
    return (select(a.id.label("assessment_id"), a.patient_id.label("pid"),
                   StudyTimepoint.code.label("timepoint"),
                   case((late, "pending"), else_=a.state).label("state"),
                   status_case_on(filters.as_of).label("status"),
                   a.not_done_reason, a.window_open, a.window_close,
                   case((late, None), else_=a.visit_on).label("visit_on"),
                   a.missing_reason, case((late, None), else_=a.mode).label("mode"),
                   case((late, 1), else_=0).label("late"))
            .join(StudyTimepoint, StudyTimepoint.id == (
                a.timepoint_id + 0 if by_id_range else a.timepoint_id))  # (+ 0: no index)
            .where(StudyTimepoint.study_id == sid, within))


def _visit_id_range(sid: int) -> tuple[Any, Any]:
    """The lowest and highest id of the study's visits, as two scalar subqueries: each
    timepoint's first and last visit id, from the index on the visit's timepoint."""
    tp = StudyTimepoint
    first = select(func.min(Assessment.id)).where(Assessment.timepoint_id == tp.id)
    last = select(func.max(Assessment.id)).where(Assessment.timepoint_id == tp.id)
    low = select(func.min(first.scalar_subquery())).where(tp.study_id == sid)
    high = select(func.max(last.scalar_subquery())).where(tp.study_id == sid)
    return low.scalar_subquery(), high.scalar_subquery()


def _score_rows(sid: int, ids: tuple[int, int] | None = None) -> Select[Any]:
    """The scores whose visit ids lie in the range of the study's visits' ids: ``ids``
    (as read), or, so that the query can be sent before the visits are read (SQLite's
    reader process), each timepoint's first and last id from the index on the visit's
    timepoint. (PostgreSQL, not knowing that range when it plans, would walk the index
    instead of reading the table: 0.6 s against 0.4 s for 2.25 million scores.)"""
    if ids is None:
        ids = _visit_id_range(sid)
    return (select(Score.assessment_id, Score.instrument, Score.value, Score.raw_sum,
                   Score.answered, Score.not_computable_reason.label("reason"))
            .where(Score.assessment_id.between(*ids)))  # type: ignore[attr-defined,misc]


def _event_rows(sid: int, as_of: date) -> Select[Any]:
    return (select(AdverseEvent.patient_id.label("pid"), AdverseEvent.event_type,
                   AdverseEvent.severity, AdverseEvent.is_related)
            .join(Patient, Patient.id == AdverseEvent.patient_id)
            .where(Patient.study_id == sid, AdverseEvent.onset_on <= as_of)
            .order_by(AdverseEvent.id))


def _screening_rows(sid: int) -> Select[Any]:
    return (select(Screening.id.label("screening_id"), Site.code.label("site"),
                   Screening.is_eligible, Screening.screened_at)
            .join(Site, Site.id == Screening.site_id)
            .where(Screening.study_id == sid).order_by(Screening.id))


def _answer_rows(sid: int) -> Select[Any]:
    return (select(ScreeningAnswer.screening_id, EligibilityCriterion.code,
                   EligibilityCriterion.kind, ScreeningAnswer.answer)
            .join(EligibilityCriterion, EligibilityCriterion.id == ScreeningAnswer.criterion_id)
            .join(Screening, Screening.id == ScreeningAnswer.screening_id)
            .where(Screening.study_id == sid, Screening.is_eligible.is_(False)))  # type: ignore[attr-defined]


def _patients(session: Session, sid: int, roots: tuple[str, ...], as_of: date,
              timezone: str) -> pd.DataFrame:
    """The included patients, with a laterality column per root the study asks (and
    any other root recorded, say before an amendment stopped asking it), in anatomical
    order; one withdrawn after ``as_of`` still in the study then."""
    df = _frame(session, _patient_rows(sid, as_of))
    later = _after_day(df.pop("withdrawn_at"), as_of, timezone)
    if later.any():
        df.loc[later, "status"], df.loc[later, "withdrawal_reason"] = "enrolled", None
    year = pd.to_datetime(df["enrolled_on"]).dt.year
    born = pd.to_numeric(df["birth_year"], errors="coerce")
    df["age"] = pd.to_numeric(df["age_at_enrollment"], errors="coerce").fillna(year - born)
    lat = _frame(session, _laterality_rows(sid))
    wide = lat.pivot(index="pid", columns="root", values="laterality") if len(lat) else None
    recorded = set(wide.columns) if wide is not None else set()
    for root in [r for r in NERVE_ROOTS if r in roots or r in recorded]:
        values = wide[root] if wide is not None and root in wide else pd.Series(dtype=object)
        df[f"laterality_{root}"] = df["pid"].map(values).astype(object)
    return df.drop(columns=["age_at_enrollment", "birth_year"])


def _procedures(session: Session, sid: int, timezone: str, as_of: date) -> pd.DataFrame:
    """Each patient's index (first) procedure done by ``as_of``, with
    ``repeat_deviations``: how many of the patient's later procedures by then were
    confirmed as a deviation at their entry (a repeat injection over the steroid cap)."""
    df = _frame(session, _procedure_rows(sid))
    df["performed_on"] = _local_days(df.pop("performed_at"), timezone)
    later = df["performed_on"] > as_of
    done = df[~later] if later.any() else df
    first = ~done.duplicated("pid", keep="first")
    repeats = done.loc[~first & done["deviation_reason"].notna(), "pid"].value_counts()
    index = done[first].copy()
    index["repeat_deviations"] = index["pid"].map(repeats).fillna(0).astype("int64")
    return index


def _local_days(moments: pd.Series, timezone: str) -> pd.Series:
    """UTC moments as days in the clinic's time zone."""
    when = pd.to_datetime(moments, utc=True).dt.tz_convert(timezone)
    return when.dt.date


def _after_day(moments: pd.Series, day: date, timezone: str) -> pd.Series:
    """Which UTC moments fall after ``day`` in the clinic's time zone (None: no)."""
    end = pd.Timestamp(day + timedelta(days=1)).tz_localize(timezone)
    return pd.to_datetime(moments, utc=True) >= end


def _of_index_procedures(injectates: pd.DataFrame, procedures: pd.DataFrame) -> pd.DataFrame:
    """The drugs given at the included patients' index procedures, by subject (in the
    order of the patients, then as entered), without the procedure's database id; the
    dose in mg as recorded or, where only the concentration and the volume were (as a
    local anaesthetic usually is: lidocaine 1 %, 1.5 mL), their product (1 % is 10 mg/mL)."""
    place = pd.Series(np.arange(len(procedures)), index=procedures["procedure_id"].to_numpy())
    at = injectates["procedure_id"].map(place)
    kept = at.notna().to_numpy()
    rows = at[kept].to_numpy(dtype=np.int64)
    order = np.argsort(rows, kind="stable")  # (the procedures are in the patients' order)

    def column(name: str) -> np.ndarray:
        values = pd.to_numeric(pd.Series(injectates[name].to_numpy()[kept][order]),
                               errors="coerce")
        return values.to_numpy(dtype=float)

    made = column("concentration_pct") * MG_PER_ML_PER_PERCENT * column("volume_ml")
    recorded = column("dose_mg")
    return pd.DataFrame({
        "subject": pd.Series(procedures["subject"].to_numpy()[rows[order]], dtype=object),
        "drug": pd.Series(injectates["drug"].to_numpy()[kept][order], dtype=object),
        "dose_mg": np.where(np.isnan(recorded), made, recorded)})


def _targets(session: Session, sid: int) -> pd.DataFrame:
    return _frame(session, _target_rows(sid))


def _assessments(session: Session, sid: int, filters: ReportFilters) -> pd.DataFrame:
    """The study's scheduled visits, with their ``assessment_id`` (for :func:`_scores`)."""
    return _frame(session, _visit_rows(sid, filters, reads_in_bulk(session)))


def _is_sqlite(session: Session) -> bool:
    return session.connection().dialect.name == "sqlite"


def _scores(session: Session, sid: int, visits: dict[str, np.ndarray]) -> pd.DataFrame:
    """The recorded values of the study's visits, each with its visit's row
    (``visit_row``); ``visits`` holds the columns ``assessment_id``, ``pid`` and
    ``timepoint`` of :func:`_assessments`, row for row, and ``late``: the visits
    recorded after the report's "as of" day, whose scores are left out.

    The scores are read on their own, by the range of the visits' ids, and given their
    visit's patient and timepoint here: joining score → assessment → timepoint in the
    database took as long again as reading the rows (2.25 million scores). Scores of other
    studies' visits inside that range are read and dropped."""
    ids = visits["assessment_id"]
    if not len(ids):
        ids = np.array([0], dtype="int64")
    df = _frame(session, _score_rows(sid, None if _is_sqlite(session)
                                     else (int(ids.min()), int(ids.max()))))
    order = np.argsort(ids, kind="stable")
    wanted = df["assessment_id"].to_numpy(dtype="int64")
    at = np.minimum(np.searchsorted(ids, wanted, sorter=order), len(ids) - 1)
    row = order[at]
    found = (ids[row] == wanted) & ~visits["late"][row]  # (late: recorded after as_of)
    if not found.all():  # (a copy of every score: only when there is one to drop)
        row = row[found]
        df = df[found].reset_index(drop=True)
    df["visit_row"] = row
    df.insert(0, "timepoint", pd.Series(visits["timepoint"][row], dtype=object))
    df.insert(0, "pid", visits["pid"][row])
    # ODI/NDI are ranked on their exact value, raw sum / (5 × sections answered) × 100,
    # so equal scores tie even when the stored total was rounded to 2 decimals. A score
    # with no value (too many sections unanswered: not computable) keeps none, although
    # its raw sum and the sections answered are stored.
    exact = (df["value"].notna() & df["raw_sum"].notna()
             & (df["answered"].fillna(0) > 0))
    df["value"] = df["value"].astype(float)
    df.loc[exact, "value"] = (df.loc[exact, "raw_sum"].astype(float) * 20.0
                              / df.loc[exact, "answered"].astype(float))
    return df.drop(columns=["assessment_id"])


def _events(session: Session, sid: int, as_of: date) -> pd.DataFrame:
    return _frame(session, _event_rows(sid, as_of))


def _screening(session: Session, sid: int, as_of: date, timezone: str) -> pd.DataFrame:
    screens = _frame(session, _screening_rows(sid))
    later = _after_day(screens.pop("screened_at"), as_of, timezone)
    if later.any():
        screens = screens[~later].reset_index(drop=True)
    answers = _frame(session, _answer_rows(sid))
    wanted = answers["kind"] == "inclusion"
    # a criterion left unanswered (not asked once another had failed) is no reason
    failed = answers[answers["answer"].notna() & (answers["answer"].astype("boolean") != wanted)]
    joined = failed.groupby("screening_id")["code"].agg("|".join)
    lookup = joined.to_dict()
    screens["failing"] = pd.Series([lookup.get(i, "") for i in screens["screening_id"]],
                                   index=screens.index, dtype=object)
    return screens.drop(columns=["screening_id"])


def _keep(patients: pd.DataFrame, procedures: pd.DataFrame, targets: pd.DataFrame,
          f: ReportFilters) -> tuple[pd.Series, list[str]]:
    keep = pd.Series(True, index=patients.index)
    notes = []
    for column, wanted, what in (("arm", f.arms, "arm"), ("site", f.sites, "site")):
        if wanted:
            keep &= patients[column].isin(wanted)
            notes.append(f"{what} not in {', '.join(wanted)}")
    if f.uses_procedure:
        proc = procedures.set_index("pid")
        ok = pd.Series(True, index=proc.index)
        if f.date_from:
            ok &= proc["performed_on"] >= f.date_from
        if f.date_to:
            ok &= proc["performed_on"] <= f.date_to
        if f.procedure_types:
            ok &= proc["procedure_type"].isin(f.procedure_types)
        if f.levels:
            hit = targets.loc[targets["level"].isin(f.levels), "procedure_id"]
            ok &= proc["procedure_id"].isin(hit)
        keep &= patients["pid"].isin(ok[ok].index)
        notes.append("no index procedure, or its date, type or levels outside the filters")
    return keep, notes


def text_ranks(values: np.ndarray) -> np.ndarray:
    """Each value's rank in sorted order (equal values share one; missing values last), as
    pandas sorts them. Objects are told apart by identity first (the readers share one
    object among equal texts), and only the distinct ones are compared."""
    codes, uniques = factorized(values, sort=True)
    return np.where(codes < 0, len(uniques), codes)


def factorized(values: np.ndarray, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, sort=sort)``. For Python objects the cells are told apart by
    identity first (the readers share one object among equal texts: a few hundred
    thousand distinct objects over millions of cells), then only the distinct objects are
    compared by value."""
    if values.dtype != object or not len(values):
        return pd.factorize(values, sort=sort)
    cells, first = distinct_objects(values)
    codes, uniques = pd.factorize(values[first], sort=sort)
    return codes[cells], uniques


def distinct_objects(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a column of Python objects: each cell's object as a code, and for each code the
    position of its first cell. Cells are told apart by identity, not by value."""
    cells, distinct = pd.factorize(identities(values))
    first = np.empty(len(distinct), dtype=np.intp)
    first[cells[::-1]] = np.arange(len(values) - 1, -1, -1)
    return cells, first


def taken(column: pd.Series, rows: np.ndarray) -> pd.Series:
    """The values of ``column`` at positions ``rows``, of the column's dtype, on a new
    range index (numpy's take where the column is a numpy array: a few times faster)."""
    if isinstance(column.dtype, np.dtype):
        return pd.Series(column.to_numpy().take(rows), dtype=column.dtype, copy=False)
    return pd.Series(column.array.take(rows), dtype=column.dtype)


def identities(values: np.ndarray) -> np.ndarray:
    """Each cell's object identity. In CPython an object array holds the objects'
    addresses, which are their ``id()``: read as integers, without a call per cell."""
    if platform.python_implementation() != "CPython":
        return np.fromiter(map(id, values), dtype=np.intp, count=len(values))
    cells = np.ascontiguousarray(values)
    addresses = (ctypes.c_size_t * len(cells)).from_address(cells.ctypes.data)
    return np.frombuffer(addresses, dtype=np.uintp).copy()  # a copy: ``cells`` may go


def load_study_data(session: Session, study: Study, filters: ReportFilters,
                    timezone: str) -> StudyData:
    """Read one study's data, keep the patients the filters select, drop database ids."""
    # the reads in one snapshot: SQLite's as columns (arrow), PostgreSQL's (snapshot)
    with arrow_reads(session, study.id), one_snapshot(session):
        small, large = _reads(study.id, filters, reads_in_bulk(session))  # type: ignore[arg-type]
        prefetch(session, small)
        prefetch(session, large, beside=True)
        return _load_study_data(session, study, filters, timezone)


def _load_study_data(session: Session, study: Study, filters: ReportFilters,
                     timezone: str) -> StudyData:
    sid: int = study.id  # type: ignore[assignment]
    info = study_info(session, study)
    patients = _patients(session, sid, info.roots, filters.as_of, timezone)
    procedures = _procedures(session, sid, timezone, filters.as_of)
    targets = _targets(session, sid)
    injectates = _frame(session, _injectate_rows(sid))
    keep, why = _keep(patients, procedures, targets, filters)
    excluded = int((~keep).sum())
    exclusions = (f"{excluded} of {len(patients)} randomized patients left out by the report "
                  f"filters ({'; '.join(why)}).",) if excluded else ()
    randomized = patients[["subject", "arm"]].reset_index(drop=True)
    patients = patients[keep].reset_index(drop=True)
    patients["subject"] = patients["subject"].astype(object)

    position = pd.Series(np.arange(len(patients)), index=patients["pid"].to_numpy())
    codes = patients["subject"].to_numpy()
    rank = text_ranks(codes)

    def rekey(df: pd.DataFrame, *keys: str) -> tuple[pd.DataFrame, np.ndarray]:
        """The included patients' rows, keyed by subject (in the place of ``pid``, the
        first column), sorted by subject and ``keys`` as ``sort_values(kind="stable")``
        sorts them, but on integer ranks: sorting millions of texts was slow. Also each
        row's patient: its position in ``patients``. ``df`` is used up: its columns are
        moved out one at a time (the peak memory of a copy of one column, not of all)."""
        at = df["pid"].map(position).to_numpy()
        kept = ~pd.isna(at)
        rows = at[kept].astype(np.int64)
        by = [text_ranks(df[k].to_numpy()[kept]) for k in reversed(keys)]
        order = np.lexsort([*by, rank[rows]])
        index, rows = np.flatnonzero(kept)[order], rows[order]
        out = pd.DataFrame(index=pd.RangeIndex(len(index)))
        for name in list(df.columns):
            column = df.pop(name)
            if name == "pid":
                out["subject"] = pd.Series(codes[rows], dtype=object)
            else:
                out[name] = taken(column, index)
        return out, rows

    procedures, procedure_patients = rekey(procedures)
    screening = _screening(session, sid, filters.as_of, timezone)
    if filters.sites:
        screening = screening[screening["site"].isin(filters.sites)].reset_index(drop=True)
    targets = targets[targets["procedure_id"].isin(procedures["procedure_id"])]
    targets = targets.assign(subject=targets["procedure_id"].map(
        procedures.set_index("procedure_id")["subject"]).astype(object))[
        ["subject", "level", "side"]]
    injectates = _of_index_procedures(injectates, procedures)
    read_events = _events(session, sid, filters.as_of)  # (the first reader's last read)
    visits = _assessments(session, sid, filters)
    keys = {"assessment_id": visits["assessment_id"].to_numpy(dtype="int64"),
            "pid": visits["pid"].to_numpy(), "timepoint": visits["timepoint"].to_numpy(),
            "late": visits.pop("late").to_numpy(dtype="int64") == 1}
    late = int(keys["late"][np.isin(keys["pid"], patients["pid"].to_numpy())].sum())
    if late:
        exclusions += (f"Data cut-off {filters.as_of.isoformat()}: {late} visits held "
                       "after it count as not held yet, their scores left out.",)
    visits["visit_row"] = np.arange(len(visits))
    assessments, visit_patients = rekey(visits.drop(columns=["assessment_id"]), "timepoint")
    del visits  # (peak memory: the visits as read go before the scores are read)
    read_scores = _scores(session, sid, keys)
    end_reads(session)  # the last read: the reader process ends before the work below
    scores, score_patients = rekey(read_scores, "timepoint", "instrument")
    del read_scores  # (emptied by rekey)
    now_at = np.empty(len(keys["pid"]), dtype=np.int64)  # a visit's row before → after rekey
    now_at[assessments["visit_row"].to_numpy()] = np.arange(len(assessments))
    rows = {"procedures": procedure_patients, "assessments": visit_patients,
            "scores": score_patients,
            "score_visits": now_at[scores["visit_row"].to_numpy()]}
    events, _ = rekey(read_events, "event_type")
    return StudyData(
        study=info, filters=filters, timezone=timezone,
        patients=patients.drop(columns=["pid"]),
        procedures=procedures.drop(columns=["procedure_id", "repeat_deviations"]),
        repeat_deviations=procedures["repeat_deviations"],
        targets=targets.sort_values(["subject", "level"], kind="stable").reset_index(drop=True),
        injectates=injectates,
        assessments=assessments.drop(columns=["visit_row"]),
        scores=scores.drop(columns=["visit_row"]), events=events,
        screening=screening, randomized=randomized, exclusions=exclusions, rows=rows,
    )

