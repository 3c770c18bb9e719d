"""Automatic data queries: each rule is data (code, wording, parameters, when it runs)
with one finder that looks for the values it questions, set-based, for one patient (on
save) or a whole study (the nightly job).

A rule never raises the same query twice: the query's ``rule_key`` (rule, table, row,
field; and, for a later value of that field, a digest of the value) is unique, and values
already queried are skipped, closed ones included (a value a monitor accepted stays
accepted). A value changed to one never queried (a visit date corrected again, to another
day outside the window) is a new value: it is queried again, once, unless a query on the
field is still open (a correction answers the open ones first, so its new value gets its
own query).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import bindparam, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, and_, col, or_, select

from clinic.audit import set_actor
from clinic.audit.words import field_label
from clinic.catalog import MODALITIES, MODALITIES_WITH_CT_DOSE, MODALITIES_WITH_DAP
from clinic.followup.scores import StoredScore
from clinic.models import (
    Assessment,
    DataQuery,
    DataQueryStep,
    EligibilityCriterion,
    Enrollment,
    Medication,
    Patient,
    Procedure,
    Score,
    Screening,
    ScreeningAnswer,
    Study,
    StudyArm,
    StudyTimepoint,
)
from clinic.protocol.eligibility_rules import Criterion, CriterionKind
from clinic.scoring.collection import CollectionMode
from clinic.scoring.instruments import INSTRUMENTS
from clinic.scoring.opioids import ome_disagrees, ome_of_visit_list

KEY_CHUNK = 500
VAS = INSTRUMENTS["vas"].label


@dataclass(frozen=True)
class QueryRule:
    code: str
    title: str
    runs_on: frozenset[str]  # "visit", "procedure", "patient": the saves that run it
    params: Mapping[str, float] = field(default_factory=dict)


RULES = (
    QueryRule("out_of_window", "Visit outside its window", frozenset({"visit"})),
    QueryRule("vas_jump", "VAS changed by 6 points or more within a week",
              frozenset({"visit"}), {"points": 6, "days": 7}),
    QueryRule("section_missing", "ODI/NDI section not answered", frozenset({"visit"})),
    QueryRule("ome_mismatch", "OME differs from the opioids listed", frozenset({"visit"})),
    QueryRule("modality_not_allocated", "Modality differs from the allocated arm",
              frozenset({"procedure"})),
    QueryRule("dose_missing", "Radiation dose not recorded", frozenset({"procedure"})),
    QueryRule("age_outside_criterion", "Age outside an inclusion criterion met at screening",
              frozenset({"patient"})),
)
RULE_TITLES = {r.code: r.title for r in RULES}


@dataclass(frozen=True)
class Finding:
    label: str
    table: str
    row_id: int
    field: str
    study_id: int
    patient_id: int
    assessment_id: int | None
    value: str
    text: str


@dataclass(frozen=True)
class Scope:
    study_id: int | None = None
    patient_id: int | None = None

    def on(self, query):  # type: ignore[no-untyped-def]
        """``query`` limited to the scope, its study and patient as parameters: run it
        with ``params=scope.params``."""
        return _bound_to_scope(query, *self.shape)

    @property
    def shape(self) -> tuple[bool, bool]:
        """Which of study and patient the scope names: a statement built once per shape
        takes them as parameters (:meth:`params`)."""
        return self.study_id is not None, self.patient_id is not None

    @property
    def params(self) -> dict[str, int]:
        return {name: value for name, value in (("scope_study", self.study_id),
                                                ("scope_patient", self.patient_id))
                if value is not None}


def _bound_to_scope(query, by_study: bool, by_patient: bool):  # type: ignore[no-untyped-def]
    """``query`` taking the scope's study and patient as parameters (Scope.params)."""
    if by_study:
        query = query.where(Patient.study_id == bindparam("scope_study"))
    if by_patient:
        query = query.where(Patient.id == bindparam("scope_patient"))
    return query


def _visits(*columns: Any, scores: bool = False):  # type: ignore[no-untyped-def]
    """``columns`` of visits (or of scores, with their visit) with the patient and the
    timepoint joined."""
    query = select(*columns)
    if scores:
        query = query.join(Assessment, col(Assessment.id) == col(Score.assessment_id))
    return (query.join(Patient, col(Patient.id) == col(Assessment.patient_id))
            .join(StudyTimepoint, col(StudyTimepoint.id) == col(Assessment.timepoint_id)))


def _out_of_window(session: Session, scope: Scope, rule: QueryRule) -> list[Finding]:
    rows = session.exec(scope.on(
        _visits(Assessment.id, Assessment.patient_id, Patient.study_id, Assessment.visit_on,
                Assessment.window_open, Assessment.window_close, StudyTimepoint.label)
        .where(Assessment.state == "completed", col(Assessment.visit_on).is_not(None),
               or_(col(Assessment.visit_on) < col(Assessment.window_open),
                   col(Assessment.visit_on) > col(Assessment.window_close)))),
        params=scope.params).all()
    return [Finding(f"Visit at {label}: visit date", "assessment", a, "visit_on", study,
                    patient, a, day.isoformat(),
                    f"The {label} visit on {day.isoformat()} is outside its window "
                    f"({opens.isoformat()} to {closes.isoformat()}): please confirm the "
                    "date.")
            for a, patient, study, day, opens, closes, label in rows]


@cache
def _vas_scores(by_study: bool, by_patient: bool):  # type: ignore[no-untyped-def]
    """The VAS scores of a scope, the statement built once per shape of scope (every
    follow-up save with a VAS runs it: building it cost a tenth of a millisecond)."""
    return _bound_to_scope(
        _visits(Score.id, Score.value, Score.collected_at, Assessment.visit_on, Assessment.id,
                Assessment.patient_id, Patient.study_id, StudyTimepoint.label, scores=True)
        .where(Score.instrument == "vas", col(Score.value).is_not(None)), by_study, by_patient)


def _vas_jump(session: Session, scope: Scope, rule: QueryRule) -> list[Finding]:
    rows = session.exec(_vas_scores(*scope.shape), params=scope.params).all()
    points, days = rule.params["points"], int(rule.params["days"])
    by_patient: dict[int, list[_Vas]] = {}
    for score_id, value, collected, visit_on, a_id, patient, study, at in rows:
        by_patient.setdefault(patient, []).append(
            _Vas(visit_on or collected.date(), score_id, value, a_id, study, at))
    found = []
    for patient, visits in by_patient.items():
        visits.sort()
        for one, two in zip(visits, visits[1:], strict=False):
            gap, change = (two.day - one.day).days, abs(two.value - one.value)
            if gap <= days and change >= points:
                found.append(Finding(
                    f"{VAS} at {two.at}", "score", two.score_id, "value", two.study_id, patient,
                    two.assessment_id, f"{two.value:g}",
                    f"VAS went from {one.value:g} ({one.at}, {one.day.isoformat()}) to "
                    f"{two.value:g} ({two.at}, {two.day.isoformat()}): {change:g} points in "
                    f"{_days(gap)}. Please confirm both values."))
    return found


def _days(n: int) -> str:
    return "the same day" if n == 0 else f"{n} day" + ("s" if n != 1 else "")


@dataclass(frozen=True, order=True)
class _Vas:
    day: date
    score_id: int
    value: float
    assessment_id: int
    study_id: int
    at: str


# A section a patient skipped on the self-report link (each section offers "skip") is
# the patient's answer: the site cannot check whether it was asked, so no query.
SELF_REPORT = CollectionMode.SELF_REPORT.value


def _section_missing(session: Session, scope: Scope, rule: QueryRule) -> list[Finding]:
    rows = session.exec(scope.on(
        _visits(Score.id, Score.instrument, Score.value, Score.answered, Assessment.id,
                Assessment.patient_id, Patient.study_id, StudyTimepoint.label, scores=True)
        .where(col(Score.instrument).in_(("odi", "ndi")),
               or_(col(Score.answered).is_(None), col(Score.answered) < 10),
               col(Score.mode) != SELF_REPORT,  # the patient chose to skip: no question
               # not computable, and the nurse said why at the save: asked already
               or_(col(Score.value).is_not(None), col(Assessment.missing_reason).is_(None)))),
        params=scope.params).all()
    return [Finding(f"{INSTRUMENTS[instrument].label} at {at}", "score", s, "value", study,
                    patient, a,
                    "not computable" if value is None else f"{value:g} %",
                    f"{INSTRUMENTS[instrument].label}: {answered or 0} of 10 sections answered. "
                    "Please check whether the missing sections were asked.")
            for s, instrument, value, answered, a, patient, study, at in rows]


def _ome_mismatch(session: Session, scope: Scope, rule: QueryRule) -> list[Finding]:
    """A visit's recorded OME against the OME of the opioids it lists (CDC 2022 factors,
    clinic.scoring.opioids), where it lists its analgesics (an opioid left off a list of
    NSAIDs counts as none) and each listed opioid has an oral factor: a sum typed wrong,
    or an opioid left off the list."""
    rows = session.exec(scope.on(
        _visits(Score.id, Score.value, Assessment.id, Assessment.patient_id, Patient.study_id,
                StudyTimepoint.label, Medication.med_class, Medication.drug,
                Medication.daily_dose_mg, scores=True)
        .join(Medication, col(Medication.assessment_id) == col(Assessment.id))
        .where(Score.instrument == "ome", col(Score.value).is_not(None))
        .order_by(col(Score.id), col(Medication.id))),
        params=scope.params).all()
    visits: dict[int, tuple[tuple[Any, ...], list[tuple[str, float]]]] = {}
    for score_id, value, a, patient, study, at, med_class, drug, dose in rows:
        opioids = visits.setdefault(score_id, ((value, a, patient, study, at), []))[1]
        if med_class == "opioid":
            opioids.append((drug, dose))
    found = []
    for score_id, ((value, a, patient, study, at), opioids) in visits.items():
        listed = ome_of_visit_list(opioids)
        if listed is None or not ome_disagrees(value, listed):
            continue
        named = ", ".join(f"{drug} {dose:g} mg/day" for drug, dose in opioids) or "none"
        found.append(Finding(
            f"{INSTRUMENTS['ome'].label} at {at}", "score", score_id, "value", study, patient,
            a, f"{value:g}",
            f"OME recorded: {value:g} mg/day; the opioids listed at this visit ({named}) "
            f"give {listed:g} mg/day (CDC 2022 factors). Please check the OME and the "
            "medications."))
    return found


def _modality_not_allocated(session: Session, scope: Scope, rule: QueryRule) -> list[Finding]:
    rows = session.exec(scope.on(
        select(Procedure.id, Procedure.modality, StudyArm.modality, StudyArm.label,
               Patient.id, Patient.study_id, Procedure.performed_at)
        .join(Patient, col(Patient.id) == col(Procedure.patient_id))
        .join(Enrollment, col(Enrollment.patient_id) == col(Patient.id))
        .join(StudyArm, col(StudyArm.id) == col(Enrollment.arm_id))
        .join(Study, col(Study.id) == col(Patient.study_id))
        .where(Study.design_type == "randomized",
               col(Procedure.modality) != col(StudyArm.modality),
               col(Procedure.deviation_reason).is_(None))),  # confirmed: no question
        params=scope.params).all()
    return [Finding(f"Procedure of {when:%Y-%m-%d}: modality", "procedure", p, "modality",
                    study, patient, None, MODALITIES[done],
                    f"Done under {MODALITIES[done]}, but the patient was allocated to "
                    f"{label} ({MODALITIES[allocated]}): please confirm, and record the "
                    "deviation's reason.")
            for p, done, allocated, label, patient, study, when in rows]


def _dose_missing(session: Session, scope: Scope, rule: QueryRule) -> list[Finding]:
    rows = session.exec(scope.on(
        select(Procedure.id, Procedure.modality, Procedure.performed_at, Patient.id,
               Patient.study_id)
        .join(Patient, col(Patient.id) == col(Procedure.patient_id))
        .where(or_(col(Procedure.modality).in_(sorted(MODALITIES_WITH_DAP))
                   & col(Procedure.dap_mgy_cm2).is_(None),
                   col(Procedure.modality).in_(sorted(MODALITIES_WITH_CT_DOSE))
                   & col(Procedure.dlp_mgy_cm).is_(None)))),
        params=scope.params).all()
    found = []
    for p, modality, when, patient, study in rows:
        column, name = (("dap_mgy_cm2", "dose-area product") if modality in MODALITIES_WITH_DAP
                        else ("dlp_mgy_cm", "dose-length product"))
        found.append(Finding(f"Procedure of {when:%Y-%m-%d}: {field_label(column)}",
                             "procedure", p, column, study, patient, None, "(blank)",
                             f"No {name} recorded for a {MODALITIES[modality]} procedure: "
                             "please add it from the modality's dose report."))
    return found


def _age_outside_criterion(session: Session, scope: Scope,
                           rule: QueryRule) -> list[Finding]:
    """An age at enrollment (as entered, or corrected since) outside the limits of an
    inclusion criterion the screening answered yes: enrollment refuses it, a later
    correction of the age can make it so (the correction stands; the monitor asks)."""
    age, low, high = (col(Patient.age_at_enrollment), col(EligibilityCriterion.age_at_least),
                      col(EligibilityCriterion.age_at_most))
    rows = session.exec(scope.on(
        select(Patient.id, Patient.study_id, age, EligibilityCriterion.text, low, high)
        .join(Screening, col(Screening.patient_id) == col(Patient.id))
        .join(ScreeningAnswer, col(ScreeningAnswer.screening_id) == col(Screening.id))
        .join(EligibilityCriterion,
              col(EligibilityCriterion.id) == col(ScreeningAnswer.criterion_id))
        .where(EligibilityCriterion.kind == "inclusion", col(ScreeningAnswer.answer).is_(True),
               age.is_not(None), or_(and_(low.is_not(None), age < low),
                                     and_(high.is_not(None), age > high)))),
        params=scope.params).all()
    return [Finding("Baseline: age", "patient", patient, "age_at_enrollment", study,
                    patient, None, f"{years:g}",
                    f"Age {years:g} at enrollment, but the screening answered yes to "
                    f"'{text}' ({_limits(at_least, at_most)}). Check the age against the "
                    "source document; if it is right, the patient did not meet this "
                    "criterion (an eligibility deviation).")
            for patient, study, years, text, at_least, at_most in rows]


def _limits(at_least: int | None, at_most: int | None) -> str:
    return Criterion("", CriterionKind.INCLUSION, "", at_least, at_most).age_limits()


FINDERS: dict[str, Callable[[Session, Scope, QueryRule], list[Finding]]] = {
    "out_of_window": _out_of_window, "vas_jump": _vas_jump,
    "section_missing": _section_missing, "ome_mismatch": _ome_mismatch,
    "modality_not_allocated": _modality_not_allocated,
    "dose_missing": _dose_missing, "age_outside_criterion": _age_outside_criterion,
}


def run_rules(session: Session, *, study_id: int | None = None, patient_id: int | None = None,
              on: str | None = None, only: frozenset[str] | None = None) -> int:
    """Raise the queries the rules find that were never raised; returns how many.
    ``on``: the rules a visit or procedure save runs; ``only``: these rules' codes."""
    scope = Scope(study_id, patient_id)
    findings = {f"{rule.code}:{f.table}:{f.row_id}:{f.field}": (rule, f)
                for rule in RULES if (on is None or on in rule.runs_on)
                and (only is None or rule.code in only)
                for f in FINDERS[rule.code](session, scope, rule)}
    new = _not_yet_queried(session, findings)
    if new:
        _raise_all(session, new)
    _reword_open(session, findings)
    return len(new)


def _reword_open(session: Session, findings: dict[str, tuple[QueryRule, Finding]]) -> None:
    """An open query on a value the rule still finds wrong, for another reason than it
    gave, says the reason now (an OME still apart from the opioids listed, after the list
    was corrected: the query named the list as it was). The change is audited."""
    keys = {key: base for base, (_rule, f) in findings.items()
            for key in (base, value_key(base, f.value))}
    stale, listed = [], list(keys)
    for start in range(0, len(listed), KEY_CHUNK):
        chunk = listed[start:start + KEY_CHUNK]
        for query in session.exec(select(DataQuery).where(
                col(DataQuery.rule_key).in_(chunk), DataQuery.status == "open")):
            f = findings[keys[query.rule_key]][1]  # type: ignore[index]
            if query.value_when_raised == f.value[:200] and query.text != f.text[:1000]:
                stale.append((query, f.text[:1000]))
    if not stale:
        return
    before = session.info.get("actor_id"), session.info.get("reason")
    set_actor(session, None, "Automatic data query: the finding's reason changed")
    try:
        for query, text in stale:
            query.text = text
        session.flush()
    finally:
        set_actor(session, *before)


def finding_now(session: Session, query: DataQuery) -> Finding | None:
    """What the query's rule finds on its value now (it reads the patient's rows, as a
    save's run does): None when it finds nothing there any more (the values agree, or
    can no longer be checked). For a query a rule raised."""
    rule = next((r for r in RULES if r.code == query.rule), None)
    if rule is None:
        return None
    target = (query.target_table, query.target_id, query.field)
    return next((f for f in FINDERS[rule.code](session, Scope(None, query.patient_id), rule)
                 if (f.table, f.row_id, f.field) == target), None)


def value_key(base: str, value: str) -> str:
    """The key of a query on a later value of the field ``base`` names."""
    return f"{base}@{hashlib.sha256(value[:200].encode()).hexdigest()[:24]}"


def _not_yet_queried(session: Session, findings: dict[str, tuple[QueryRule, Finding]]
                     ) -> list[tuple[str, QueryRule, Finding]]:
    """The findings to raise, each with its key: the field's first query; or a later
    value's, when no query ever asked this value and none on the field is still open."""
    first = _existing_values(session, list(findings))
    new = [(base, rule, f) for base, (rule, f) in findings.items() if base not in first]
    again = {base: value_key(base, f.value) for base, (_rule, f) in findings.items()
             if base in first and first[base] != f.value[:200]}
    asked = set(_existing_values(session, list(again.values())))
    for base, key in again.items():
        rule, f = findings[base]
        if key not in asked and not _open_on_field(session, rule.code, f):
            new.append((key, rule, f))
    return new


def _existing_values(session: Session, keys: list[str]) -> dict[str, str | None]:
    """Of these rule keys, those already raised, each with the value it questioned."""
    found: dict[str, str | None] = {}
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start:start + KEY_CHUNK]
        found.update(session.exec(select(DataQuery.rule_key, DataQuery.value_when_raised)  # type: ignore[arg-type]
                                  .where(col(DataQuery.rule_key).in_(chunk))).all())
    return found


def _open_on_field(session: Session, rule: str, f: Finding) -> bool:
    """A query of ``rule`` on the finding's field still waits for the site's answer."""
    return session.exec(select(DataQuery.id).where(
        DataQuery.patient_id == f.patient_id, DataQuery.rule == rule,
        DataQuery.target_table == f.table, DataQuery.target_id == f.row_id,
        DataQuery.field == f.field, DataQuery.status == "open")).first() is not None


def run_rules_on_save(session: Session, patient_id: int, on: str,
                      only: frozenset[str] | None = None) -> int:
    """The rules of a visit or procedure save, for that patient, inside the save's own
    transaction (a savepoint around the new queries: one raised at the same instant by
    the nightly job is skipped, and the save goes on)."""
    try:
        return run_rules(session, patient_id=patient_id, on=on, only=only)
    except IntegrityError:
        return 0


def _outside_window(visit: Assessment, _scores: Sequence[Score | StoredScore]) -> bool:
    return visit.visit_on is not None and not (
        visit.window_open <= visit.visit_on <= visit.window_close)


def _has_vas(_visit: Assessment, scores: Sequence[Score | StoredScore]) -> bool:
    return any(s.instrument == "vas" and s.value is not None for s in scores)


def _sections_unanswered(_visit: Assessment, scores: Sequence[Score | StoredScore]) -> bool:
    return any(s.instrument in ("odi", "ndi") and (s.answered is None or s.answered < 10)
               and s.mode != SELF_REPORT for s in scores)


def _has_ome(_visit: Assessment, scores: Sequence[Score | StoredScore]) -> bool:
    return any(s.instrument == "ome" and s.value is not None for s in scores)


# Could a newly recorded visit, with these scores, be what the visit rule looks for?
NEW_VISIT_TRIGGERS: dict[str, Callable[[Assessment, Sequence[Score | StoredScore]], bool]] = {
    "out_of_window": _outside_window, "vas_jump": _has_vas,
    "section_missing": _sections_unanswered, "ome_mismatch": _has_ome,
}


def run_rules_on_new_visit(session: Session, visit: Assessment,
                           scores: Sequence[Score | StoredScore]) -> int:
    """The visit rules when a visit is first recorded. Only its own rows are new, so a
    rule runs only where the visit could be what it looks for (a date outside the
    window, a VAS, an ODI/NDI with sections unanswered): an ordinary save reads once,
    for the VAS. The patient's other rows were checked when they were saved, and the
    nightly job checks everything again."""
    only = frozenset(code for code, could in NEW_VISIT_TRIGGERS.items()
                     if could(visit, scores))
    if not only:
        return 0
    return run_rules_on_save(session, visit.patient_id, "visit", only)  # type: ignore[arg-type]


def _raise_all(session: Session, new: list[tuple[str, QueryRule, Finding]]) -> None:
    before = session.info.get("actor_id"), session.info.get("reason")
    set_actor(session, None, "Automatic data query")
    try:
        with session.begin_nested():
            queries = [DataQuery(study_id=f.study_id, patient_id=f.patient_id,
                                 assessment_id=f.assessment_id, target_table=f.table,
                                 target_id=f.row_id, field=f.field, label=f.label[:200],
                                 value_when_raised=f.value[:200], text=f.text[:1000],
                                 rule=rule.code, rule_key=key) for key, rule, f in new]
            session.add_all(queries)
            session.flush()
            session.add_all([DataQueryStep(query_id=q.id, step="raised", text=q.text)  # type: ignore[arg-type]
                             for q in queries])
            session.flush()
        session.info.setdefault(RAISED, []).extend(q.id for q in queries)
    finally:
        set_actor(session, *before)


RAISED = "clinic.queries_raised"  # ids of the queries the rules raised in this transaction


def _forget_raised(session: Any, transaction: Any) -> None:
    """The ids are the transaction's own: a correction in a later one answers them."""
    if transaction.parent is None:  # not a savepoint's end
        session.info.pop(RAISED, None)


event.listen(OrmSession, "after_transaction_end", _forget_raised)


def raised_in(session: Session) -> list[int]:
    """The ids of the queries the rules raised in this session since the last call (so
    that the screen that saved can name them)."""
    return session.info.pop(RAISED, [])


