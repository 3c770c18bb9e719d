"""The demo's patients stored a table at a time: the rows and audit events the services
write one patient at a time (clinic.demo.writers.ServiceWriter), in a few statements.

Through the services, each patient costs some 70 statements and 23 ms, and the demo of
200 patients 6 s. Here each step of the generator is held, and every 1,000 patients
(:data:`CHUNK`) and at :meth:`finish` what is held is stored, in the services' order of
events: the patients, their screenings and enrollments as created, then what changed
(a screening's patient, the baseline re-planned on the procedure day), the reminders
planned by the services' own set-based planner, the follow-ups recorded, their pending
reminders cancelled. Complications and withdrawals (a few per hundred) go through their
services.

Rows are built by the services' own functions where they have one (the planned
visits, the scores, the columns a recorded visit changes); the audit events by the
audit's (clinic.audit.insert_audited, audit_updated), so they read as the flush writes
them. Nothing is validated twice: the generator's values are valid, and the
database's constraints and the audit's value guard stand behind them. Whether both
writers give the same database is tested (tests/demo/test_batch.py): every table,
every column, every audit event, at several sizes and seeds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from clinic.audit import audit_updated, insert_audited, write_inserted_events
from clinic.demo.writers import Enrolled, Visit
from clinic.enrollment.inputs import IdentityInput, PatientInput
from clinic.enrollment.service import withdraw
from clinic.followup.scores import ScoredValue, parse_mode, score_entries
from clinic.followup.service import (
    completed_values,
    filled_entries,
    not_done_values,
    score_rows,
    section_rows,
)
from clinic.models import (
    AllocationSlot,
    Assessment,
    EligibilityCriterion,
    Enrollment,
    Injectate,
    Patient,
    PatientIdentity,
    Procedure,
    ProcedureTarget,
    RootLaterality,
    Score,
    ScoreSection,
    Screening,
    ScreeningAnswer,
    StudyMeasure,
    StudyTimepoint,
)
from clinic.models.base import Audited, utcnow
from clinic.models.inserts import new_row
from clinic.models.patient import keep_search_keys
from clinic.procedures.inputs import ProcedureInput
from clinic.protocol.allocation import stratum_for
from clinic.protocol.definition import strata_from_json
from clinic.protocol.eligibility_rules import Criterion, CriterionKind, evaluate
from clinic.protocol.measures import MeasureRule, instruments_at
from clinic.queries.rules import run_rules
from clinic.reminders import reconcile_reminders
from clinic.reminders.planning import cancel_for_recorded_visits
from clinic.safety.service import record_adverse_event
from clinic.scheduling.service import baseline_row, local_day, plan_for, planned_row

CHUNK = 1_000  # patients held at most: 2,000 held at once took 430 MB


@dataclass
class _Patient:
    """One enrolled patient's rows, ids filled in as they are inserted."""

    screening: dict[str, Any]
    row: dict[str, Any]
    laterality: list[dict[str, Any]]
    identity: dict[str, Any]
    enrollment: dict[str, Any]
    baseline: dict[str, Any]  # as planned at enrollment
    procedure: dict[str, Any] = field(default_factory=dict)
    targets: list[dict[str, Any]] = field(default_factory=list)
    injectates: list[dict[str, Any]] = field(default_factory=list)
    follow_ups: list[dict[str, Any]] = field(default_factory=list)  # planned at the procedure
    rebaseline: dict[str, Any] = field(default_factory=dict)  # the baseline's changes then


@dataclass
class _Recorded:
    """A follow-up recorded (its scores) or marked not done (``scores`` None)."""

    visit: dict[str, Any]  # the assessment's row
    changes: dict[str, Any]  # the columns recording it changes
    scores: list[dict[str, Any]] | None = None
    scored: list[ScoredValue] = field(default_factory=list)


class BatchWriter:
    def __init__(self, session: Session, study: Any, timezone: str) -> None:
        self.session, self.study, self.zone = session, study, ZoneInfo(timezone)
        rows = session.exec(select(EligibilityCriterion)
                            .where(EligibilityCriterion.study_id == study.id)).all()
        self.criteria = [(c.id, Criterion(c.code, CriterionKind(c.kind), c.text)) for c in rows]
        self.slots: dict[str, list[AllocationSlot]] = defaultdict(list)
        for slot in session.exec(select(AllocationSlot)
                                 .where(AllocationSlot.study_id == study.id)
                                 .order_by(AllocationSlot.stratum, AllocationSlot.position)):
            self.slots[slot.stratum].append(slot)
        self.timepoints = list(session.exec(select(StudyTimepoint)
                                            .where(StudyTimepoint.study_id == study.id)
                                            .order_by(StudyTimepoint.position)))
        self.codes = {t.id: t.code for t in self.timepoints}
        self.rules = [MeasureRule(m.instrument, m.timepoint_codes, m.strata, m.added_at)
                      for m in session.exec(select(StudyMeasure)
                                            .where(StudyMeasure.study_id == study.id)
                                            .order_by(StudyMeasure.position))]
        self.strata = strata_from_json(study.strata_rules or [])
        self.used: dict[str, int] = defaultdict(int)
        self.screenings: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        self.patients: list[_Patient] = []
        self.recorded: list[_Recorded] = []
        self.events: list[tuple[str, _Patient, Any]] = []  # complications, withdrawals

    # the generator's steps: held -----------------------------------------------------

    def screen(self, site_id: int, answers: dict[str, bool], actor_id: int,
               screened_at: datetime) -> Any | None:
        if len(self.patients) >= CHUNK:
            self._store()
        result = evaluate([c for _id, c in self.criteria],
                          {c.code: answers.get(c.code) for _id, c in self.criteria})
        row = new_row(Screening, {"study_id": self.study.id, "site_id": site_id,
                                  "screened_by_id": actor_id, "screened_at": screened_at,
                                  "is_eligible": result.is_eligible})
        self.screenings.append((row, [{"screening_id": None, "criterion_id": criterion_id,
                                       "answer": answers.get(c.code)}
                                      for criterion_id, c in self.criteria]))
        eligible = not result.unanswered and not result.failing
        return row if eligible else None

    def enroll(self, screening: Any, patient: PatientInput, identity: IdentityInput,
               factors: dict[str, int], enrolled_on: date, actor_id: int,
               randomized_at: datetime) -> Enrolled:
        stratum = stratum_for(factors, self.strata)
        slot = self.slots[stratum][self.used[stratum]]
        self.used[stratum] += 1
        baseline = next(t for t in self.timepoints if t.is_baseline)
        held = _Patient(
            screening=screening,
            row=new_row(Patient, {
                "study_id": self.study.id, "study_code": patient.study_code.strip(),
                "site_id": screening["site_id"], "sex": patient.sex,
                "birth_year": patient.birth_year, "age_at_enrollment": patient.age_at_enrollment,
                "bmi": patient.bmi, "diagnosis": patient.diagnosis,
                "symptom_duration_months": patient.symptom_duration_months}),
            laterality=[{"patient_id": None, "root": root, "laterality": laterality}
                        for root, laterality in sorted(patient.root_laterality.items())],
            identity=_identity(identity),
            enrollment=new_row(Enrollment, {
                "patient_id": None, "study_id": self.study.id, "arm_id": slot.arm_id,
                "stratum": stratum, "allocation_slot_id": slot.id, "enrolled_on": enrolled_on,
                "randomized_at": randomized_at, "randomized_by_id": actor_id,
                "consent_on": enrolled_on,
                "consent_version": (self.study.consent_version or "not recorded").strip(),
                "consent_taken_by_id": actor_id}),
            baseline=baseline_row(0, baseline, enrolled_on))
        self.patients.append(held)
        return Enrolled(slot.arm_id, stratum, slot.position, held)

    def procedure(self, enrolled: Enrolled, data: ProcedureInput) -> Any:
        held: _Patient = enrolled.ref
        held.procedure = new_row(Procedure, {"patient_id": None, **data.column_values()})
        held.targets = [{"procedure_id": None, "level": t.level, "side": t.side}
                        for t in data.targets]
        held.injectates = [{"procedure_id": None, "target_id": None, "drug": i.drug,
                            "concentration_pct": i.concentration_pct, "volume_ml": i.volume_ml,
                            "dose_mg": i.dose_mg} for i in data.injectates]
        day = local_day(data.performed_at, self.zone.key)
        for timepoint in self.timepoints:
            visit = plan_for(timepoint, day)
            if timepoint.is_baseline:
                held.rebaseline = {"procedure_id": None, "target_date": visit.target_date,
                                   "window_open": visit.window_open,
                                   "window_close": visit.window_close}
            else:
                held.follow_ups.append(planned_row(0, timepoint, visit, 0))
        return held

    def visits(self, enrolled: Enrolled) -> list[Visit]:
        held: _Patient = enrolled.ref
        planned = [({**held.baseline, **held.rebaseline}, held.baseline),
                   *((row, row) for row in held.follow_ups)]  # (as planned now, the row)
        return [Visit(now["timepoint_id"], now["target_date"], now["window_open"],
                      now["window_close"], (held, row))
                for now, row in sorted(planned, key=lambda pair: pair[0]["target_date"])]

    def measures(self, visit: Visit) -> list[str]:
        held, _row = visit.ref
        stratum = held.enrollment["stratum"] if any(r.strata for r in self.rules) else None
        return instruments_at(self.rules, self.codes[visit.timepoint_id], stratum, None)

    def complete(self, visit: Visit, entries: dict[str, Any], mode: str, actor_id: int,
                 collected_at: datetime) -> None:
        mode = parse_mode(mode)
        scored = score_entries(filled_entries(entries), set(self.measures(visit)))
        self.recorded.append(_Recorded(visit.ref[1],
                                       completed_values(collected_at, None, actor_id, mode),
                                       score_rows(0, scored, mode, actor_id, collected_at),
                                       scored))

    def not_done(self, visit: Visit, reason: str, actor_id: int) -> None:
        self.recorded.append(_Recorded(visit.ref[1], not_done_values(reason, actor_id)))

    def adverse_event(self, enrolled: Enrolled, event_type: str, onset_on: date,
                      procedure: Any) -> None:
        self.events.append(("adverse_event", enrolled.ref, (event_type, onset_on)))

    def withdraw(self, enrolled: Enrolled, reason: str, actor_id: int) -> None:
        self.events.append(("withdraw", enrolled.ref, (reason, actor_id)))

    # stored ------------------------------------------------------------------------

    def finish(self) -> None:
        self._store()
        run_rules(self.session, study_id=self.study.id, on="procedure")  # as each save

    def _store(self) -> None:
        """Everything held, then nothing: the patients so far are complete (the
        generator finishes one before it screens the next candidate)."""
        if not self.screenings:
            return
        self._patients()
        self._screenings()
        self._enrollments()
        self._procedures()
        visit_ids = self._schedules()
        reconcile_reminders(self.session, visit_ids)  # the services' planner, set-based
        self._recorded()
        self._events()
        write_inserted_events(self.session)
        self.screenings, self.patients, self.recorded, self.events = [], [], [], []

    def _patients(self) -> None:
        held = self.patients
        insert_audited(self.session, Patient, [p.row for p in held], key=("study_code",))
        for p in held:
            for row in p.laterality:
                row["patient_id"] = p.row["id"]
            p.identity["patient_id"] = p.row["id"]
        insert_audited(self.session, RootLaterality, [r for p in held for r in p.laterality],
                       key=("patient_id", "root"))
        insert_audited(self.session, PatientIdentity, [p.identity for p in held],
                       key=("patient_id",))

    def _screenings(self) -> None:
        rows = [row for row, _answers in self.screenings]
        insert_audited(self.session, Screening, rows,
                       key=("site_id", "screened_by_id", "is_eligible"))
        for row, answers in self.screenings:
            for answer in answers:
                answer["screening_id"] = row["id"]
        insert_audited(self.session, ScreeningAnswer, [a for _row, answers in self.screenings
                                                       for a in answers],
                       key=("screening_id", "criterion_id"))

    def _enrollments(self) -> None:
        for p in self.patients:
            p.enrollment["patient_id"] = p.row["id"]
        insert_audited(self.session, Enrollment, [p.enrollment for p in self.patients],
                       key=("patient_id",))
        _update(self.session, Screening, [(p.screening, {"patient_id": p.row["id"]})
                                          for p in self.patients])

    def _procedures(self) -> None:
        for p in self.patients:
            p.procedure["patient_id"] = p.row["id"]
        insert_audited(self.session, Procedure, [p.procedure for p in self.patients],
                       key=("patient_id",))
        for p in self.patients:
            for row in (*p.targets, *p.injectates):
                row["procedure_id"] = p.procedure["id"]
        insert_audited(self.session, ProcedureTarget, [t for p in self.patients
                                                       for t in p.targets],
                       key=("procedure_id", "level", "side"))
        insert_audited(self.session, Injectate, [i for p in self.patients for i in p.injectates],
                       key=("procedure_id", "drug", "concentration_pct", "volume_ml",
                            "dose_mg"))

    def _schedules(self) -> list[int]:
        """The baseline as enrollment planned it and the follow-ups as the procedure did,
        a patient after the other (their ids in the services' order); then the baseline
        re-planned on the procedure day. Returns every visit's id."""
        rows = []
        for p in self.patients:
            p.baseline["patient_id"] = p.row["id"]
            p.rebaseline["procedure_id"] = p.procedure["id"]
            for row in p.follow_ups:
                row["patient_id"], row["procedure_id"] = p.row["id"], p.procedure["id"]
            rows += [p.baseline, *p.follow_ups]
        insert_audited(self.session, Assessment, rows, key=("patient_id", "timepoint_id"))
        _update(self.session, Assessment, [(p.baseline, p.rebaseline) for p in self.patients])
        for p in self.patients:
            p.baseline.update(p.rebaseline)
        return [row["id"] for row in rows]

    def _recorded(self) -> None:
        completed = [r for r in self.recorded if r.scores is not None]
        for r in completed:
            for row in r.scores or []:
                row["assessment_id"] = r.visit["id"]
        scores = [row for r in completed for row in r.scores or []]
        insert_audited(self.session, Score, scores, key=("assessment_id", "instrument"))
        insert_audited(self.session, ScoreSection,
                       [s for r in completed for s in section_rows(r.scores or [], r.scored)],
                       key=("score_id", "section"))
        changes = [(r.visit, {**r.changes, "version": r.visit["version"] + 1})
                   for r in self.recorded]
        _update(self.session, Assessment, changes)
        for row, new in changes:
            row.update(new)
        cancel_for_recorded_visits(self.session, [
            (r.visit["id"], r.changes["state"], r.visit["target_date"])
            for r in self.recorded])

    def _events(self) -> None:
        """Complications and withdrawals, through their services (a few per hundred)."""
        for kind, p, args in self.events:
            if kind == "adverse_event":
                patient = self.session.get(Patient, p.row["id"])
                event_type, onset_on = args
                record_adverse_event(self.session, patient=patient,  # type: ignore[arg-type]
                                     event_type=event_type, onset_on=onset_on,
                                     severity="moderate", procedure_id=p.procedure["id"])
            else:
                enrollment = self.session.get(Enrollment, p.enrollment["id"])
                reason, actor_id = args
                withdraw(self.session, enrollment=enrollment,  # type: ignore[arg-type]
                         reason=reason, actor_id=actor_id)


def _identity(identity: IdentityInput) -> dict[str, Any]:
    row = new_row(PatientIdentity, {
        "patient_id": None, "name": identity.name.strip(), "mrn": identity.mrn,
        "phone": identity.phone, "email": identity.email, "birth_date": identity.birth_date,
        "reminder_consent": identity.reminder_consent,
        "self_report_consent": identity.self_report_consent, "language": identity.language,
        "consent_recorded_at": utcnow() if identity.reminder_consent else None})
    record = SimpleNamespace(**row)
    keep_search_keys(None, None, record)  # type: ignore[arg-type]  # the insert listener's keys
    return vars(record)


def _update(session: Session, model: type[Audited],
            changes: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Rows changed by Core UPDATEs (one statement for each set of columns changed,
    sent once for all its rows), with their update events."""
    table = model.__table__  # type: ignore[attr-defined]
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for before, new in changes:
        by_columns[tuple(sorted(new))].append({"row_id": before["id"],
                                               **{f"new_{k}": v for k, v in new.items()}})
    for columns, params in by_columns.items():
        statement = (update(table).where(table.c.id == bindparam("row_id"))
                     .values({name: bindparam(f"new_{name}") for name in columns}))
        session.execute(statement, params)
    audit_updated(session, model, changes)
