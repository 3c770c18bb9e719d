"""Read a patient's whole record: enrollment, procedures, schedule, scores, events, audit."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import and_, union_all
from sqlmodel import Session, col, select

from clinic.audit.words import USER_FIELDS
from clinic.catalog import DRUGS, MODALITIES
from clinic.models import (
    AdverseEvent,
    Assessment,
    AuditEvent,
    Enrollment,
    Injectate,
    Medication,
    Patient,
    PatientIdentity,
    Procedure,
    ProcedureTarget,
    RootLaterality,
    Score,
    Site,
    Study,
    StudyArm,
    StudyMeasure,
    StudyTimepoint,
    User,
)
from clinic.patients.history import is_child_event
from clinic.procedures.inputs import (
    ProcedureInput,
    SteroidCap,
    capped_steroid_mg,
    dose_deviations,
    steroid_cap_of,
)
from clinic.protocol.allocation import stratum_words
from clinic.protocol.definition import REGISTRY
from clinic.scheduling.windows import PlannedVisit, status_on


@dataclass(frozen=True)
class VisitRow:
    assessment: Assessment
    timepoint: StudyTimepoint
    status: str
    scores: dict[str, Score]
    medications: list[Medication] = field(default_factory=list)


@dataclass(frozen=True)
class ProcedureRow:
    procedure: Procedure
    targets: list[ProcedureTarget]
    injectates: list[Injectate]
    # what its deviation reason was given for, as the record now reads (deviations_of)
    deviations: tuple[str, ...] = ()


@dataclass
class PatientRecord:
    patient: Patient
    site: Site
    enrollment: Enrollment | None
    arm: StudyArm | None
    roots: list[RootLaterality]
    procedures: list[ProcedureRow]
    visits: list[VisitRow]
    adverse_events: list[AdverseEvent]
    measure_codes: list[str] = field(default_factory=list)  # the study's instruments
    identity: PatientIdentity | None = None
    audit: dict[tuple[str, int], list[AuditEvent]] = field(default_factory=dict)
    users: dict[int, str] = field(default_factory=dict)
    is_registry: bool = False
    stratum: str = ""  # the enrollment's stratum as its protocol's bins read
    consent_taken_by: str | None = None


def patient_record(session: Session, patient: Patient, *, today: date,
                   with_identity: bool) -> PatientRecord:
    enrollment = session.exec(select(Enrollment).where(
        Enrollment.patient_id == patient.id)).first()
    record = PatientRecord(
        patient=patient, site=session.get(Site, patient.site_id),  # type: ignore[arg-type]
        enrollment=enrollment,
        arm=session.get(StudyArm, enrollment.arm_id) if enrollment and enrollment.arm_id
        else None,
        roots=list(session.exec(select(RootLaterality).where(
            RootLaterality.patient_id == patient.id).order_by(RootLaterality.root))),
        procedures=_procedures(session, patient.id),  # type: ignore[arg-type]
        visits=_visits(session, patient.id, today),  # type: ignore[arg-type]
        adverse_events=list(session.exec(select(AdverseEvent).where(
            AdverseEvent.patient_id == patient.id).order_by(AdverseEvent.onset_on))),
        measure_codes=list(session.exec(select(StudyMeasure.instrument).where(
            StudyMeasure.study_id == patient.study_id).order_by(StudyMeasure.position))),
    )
    if with_identity:
        record.identity = session.exec(select(PatientIdentity).where(
            PatientIdentity.patient_id == patient.id)).first()
    study = session.get(Study, patient.study_id)
    record.is_registry = study is not None and study.design_type == REGISTRY
    record.procedures = deviations_of(record.procedures, None if record.is_registry
                                      else record.arm, steroid_cap_of(study), today)
    if enrollment is not None and enrollment.stratum:
        record.stratum = stratum_words(study.strata_rules or [] if study else [],
                                       enrollment.stratum)
    if enrollment is not None and enrollment.consent_taken_by_id:
        taker = session.get(User, enrollment.consent_taken_by_id)
        record.consent_taken_by = taker.name if taker else None
    record.audit = audit_history(session, record)
    ids = {e.user_id for events in record.audit.values() for e in events if e.user_id}
    ids |= {int(v) for events in record.audit.values() for e in events
            if e.field in USER_FIELDS for v in (e.old_value, e.new_value)
            if v and v.isascii() and v.isdigit()}
    record.users = {u.id: u.name for u in session.exec(select(User).where(User.id.in_(ids)))}  # type: ignore[union-attr,misc]
    return record


def _procedures(session: Session, patient_id: int) -> list[ProcedureRow]:
    rows = []
    for p in session.exec(select(Procedure).where(Procedure.patient_id == patient_id)
                          .order_by(Procedure.performed_at)):
        targets = session.exec(select(ProcedureTarget).where(
            ProcedureTarget.procedure_id == p.id).order_by(ProcedureTarget.id)).all()
        injectates = session.exec(select(Injectate).where(
            Injectate.procedure_id == p.id).order_by(Injectate.id)).all()
        rows.append(ProcedureRow(p, list(targets), list(injectates)))
    return rows


def deviations_of(rows: list[ProcedureRow], arm: StudyArm | None,
                  cap: SteroidCap | None, today: date) -> list[ProcedureRow]:
    """Each procedure with the protocol deviations its record shows, so that the patient
    page says what a deviation's reason was given for: another modality than the
    allocated arm's (``arm``: None in a registry), the steroid cap per patient exceeded by
    this procedure's dose of the capped steroid (the patient's total so far, as at entry),
    the radiation dose not recorded (not asked of a procedure planned after ``today``)
    (pure)."""
    out, steroid = [], 0.0
    for row in rows:
        p, found = row.procedure, []
        if arm is not None and p.modality != arm.modality:
            found.append(f"another modality than the arm's ({arm.label}: "
                         f"{MODALITIES[arm.modality]})")
        here = capped_steroid_mg(row.injectates, cap.steroid) if cap else 0.0
        steroid += here
        if cap is not None and here and steroid > cap.mg:
            found.append(f"{DRUGS[cap.steroid].lower()} over the study's cap "
                         f"({steroid:g} mg in all, the cap {cap.mg:g} mg per patient)")
        if p.performed_at.date() <= today and dose_deviations(_dose_fields(p)):
            found.append("no radiation dose recorded")
        out.append(replace(row, deviations=tuple(found)))
    return out


def _dose_fields(p: Procedure) -> ProcedureInput:
    return ProcedureInput(performed_at=p.performed_at, modality=p.modality,
                          procedure_type=p.procedure_type, punctures=p.punctures,
                          dap_mgy_cm2=p.dap_mgy_cm2, ctdivol_mgy=p.ctdivol_mgy,
                          dlp_mgy_cm=p.dlp_mgy_cm)


def _visits(session: Session, patient_id: int, today: date) -> list[VisitRow]:
    pairs = session.exec(select(Assessment, StudyTimepoint)
                         .join(StudyTimepoint, StudyTimepoint.id == Assessment.timepoint_id)
                         .where(Assessment.patient_id == patient_id)
                         .order_by(StudyTimepoint.position)).all()
    ids = [a.id for a, _ in pairs]
    scores: dict[int, dict[str, Score]] = defaultdict(dict)
    for s in session.exec(select(Score).where(Score.assessment_id.in_(ids))):  # type: ignore[union-attr]
        scores[s.assessment_id][s.instrument] = s
    medications: dict[int, list[Medication]] = defaultdict(list)
    for m in session.exec(select(Medication).where(Medication.assessment_id.in_(ids))  # type: ignore[union-attr]
                          .order_by(Medication.id)):
        medications[m.assessment_id].append(m)
    return [VisitRow(a, t, derived_status(a, today), scores.get(a.id, {}),  # type: ignore[arg-type]
                     medications.get(a.id, [])) for a, t in pairs]  # type: ignore[arg-type]


def derived_status(a: Assessment, today: date) -> str:
    visit = PlannedVisit("", a.target_date, a.window_open, a.window_close)
    completed = a.completed_at.date() if a.state == "completed" and a.completed_at else None
    return status_on(today, visit, completed_at=completed, not_done=a.state == "not_done").value


AuditIndex = dict[tuple[str, int], list[AuditEvent]]


def audit_history(session: Session, record: PatientRecord) -> AuditIndex:
    """Audit events of every record of this patient, grouped by (table, id).

    A child row's events (a procedure's targets, a score's sections, a visit's
    medications, the patient's root laterality) are filed under the record they belong
    to, found through the event's parent columns, so they show also once deleted. A
    score's events name its visit too, and are filed under the score: a score removed
    by a correction keeps its section (its events written before they named the visit
    are found by the score's id, as long as it exists).
    """
    ids: dict[str, list[int]] = defaultdict(list)
    ids["patient"].append(record.patient.id)  # type: ignore[arg-type]
    if record.enrollment:
        ids["enrollment"].append(record.enrollment.id)  # type: ignore[arg-type]
    ids["procedure"] += [r.procedure.id for r in record.procedures]  # type: ignore[misc]
    ids["assessment"] += [v.assessment.id for v in record.visits]  # type: ignore[misc]
    ids["score"] += [s.id for v in record.visits for s in v.scores.values()]  # type: ignore[misc]
    ids["adverse_event"] += [e.id for e in record.adverse_events]  # type: ignore[misc]
    own = [and_(AuditEvent.entity == table, AuditEvent.entity_id.in_(keys))  # type: ignore[attr-defined]
           for table, keys in ids.items() if keys]
    children = [and_(AuditEvent.parent_entity == table,
                     AuditEvent.parent_id.in_(keys))  # type: ignore[union-attr]
                for table, keys in ids.items() if keys]
    # one SELECT per condition, joined by UNION ALL: each uses its index on both engines
    # (an OR of them let PostgreSQL walk the whole table in time order instead)
    ids_found = union_all(*[select(AuditEvent.id).where(c) for c in (*own, *children)])
    events = session.exec(select(AuditEvent).where(col(AuditEvent.id).in_(ids_found))
                          .order_by(AuditEvent.occurred_at, AuditEvent.id))
    grouped: dict[tuple[str, int], list[AuditEvent]] = defaultdict(list)
    for event in events:
        if is_child_event(event) and event.parent_id is not None:
            grouped[(event.parent_entity, event.parent_id)].append(event)  # type: ignore[index]
        else:
            grouped[(event.entity, event.entity_id)].append(event)
    return dict(grouped)

