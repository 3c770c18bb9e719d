"""Protocol amendments of an active study: numbered, with a reason, the protocol before
and after, audited, and listed in the report's methods.

What may change is decided by the pure :func:`clinic.protocol.amendment_plan.plan_amendment`
against what the database holds; applying it keeps every recorded value as it was:
pending and future visits gain an added measure (recorded ones do not), a changed
window re-plans the pending visits (and their reminders), an added timepoint is planned
for every patient on follow-up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from clinic.audit import set_actor
from clinic.edits import require_reason
from clinic.enrollment.groups import assign_registry_group
from clinic.exceptions import ValidationError
from clinic.models import (
    Assessment,
    EligibilityCriterion,
    Enrollment,
    Patient,
    Procedure,
    ProtocolAmendment,
    Score,
    ScreeningAnswer,
    Study,
    StudyArm,
    StudyMeasure,
    StudyTimepoint,
)
from clinic.protocol.amendment_plan import AmendmentPlan, Usage, plan_amendment
from clinic.protocol.definition import StudyDefinition
from clinic.protocol.document import ProtocolDocument
from clinic.protocol.protocol_file import from_definition, to_definition
from clinic.scheduling.service import schedule_from_procedure
from clinic.studies.protocols import ACTIVE, DRAFT, FOLLOW_UP_ONLY
from clinic.studies.setup import load_definition, matching_to_json


def usage_of(session: Session, study: Study) -> Usage:
    sid = study.id
    arms = session.exec(select(StudyArm.code).join(Enrollment, col(Enrollment.arm_id)
                                                   == StudyArm.id)
                        .where(StudyArm.study_id == sid).distinct()).all()
    timepoints = session.exec(select(StudyTimepoint.code).join(
        Assessment, col(Assessment.timepoint_id) == StudyTimepoint.id)
        .where(StudyTimepoint.study_id == sid, Assessment.state != "pending").distinct()).all()
    scored = session.exec(select(Score.instrument, StudyTimepoint.code)
                          .join(Assessment, col(Assessment.id) == Score.assessment_id)
                          .join(StudyTimepoint, col(StudyTimepoint.id) == Assessment.timepoint_id)
                          .where(StudyTimepoint.study_id == sid).distinct()).all()
    answered = session.exec(select(EligibilityCriterion.code).join(
        ScreeningAnswer, col(ScreeningAnswer.criterion_id) == EligibilityCriterion.id)
        .where(EligibilityCriterion.study_id == sid).distinct()).all()
    enrolled = session.exec(select(func.count()).select_from(Enrollment).where(
        Enrollment.study_id == sid)).one()
    return Usage(enrolled=enrolled > 0, arms_with_patients=frozenset(arms),
                 timepoints_with_data=frozenset(timepoints),
                 scored=frozenset((i, t) for i, t in scored),
                 criteria_answered=frozenset(answered))


def amend(session: Session, *, study: Study, doc: ProtocolDocument, reason: str | None,
          actor_id: int | None, timezone: str, now: datetime) -> ProtocolAmendment:
    text = require_reason(reason)
    if study.status == DRAFT:
        raise ValidationError({"study": "A draft changes without amendments: save it."})
    old = load_definition(session, study)
    new = to_definition(doc)
    plan = plan_amendment(old, new, usage_of(session, study))
    if plan.refusals:
        raise ValidationError(plan.refusals)
    if not plan.changes:
        raise ValidationError({"reason": "Nothing was changed."})
    set_actor(session, actor_id, text)
    _apply(session, study, new, plan, now)
    _replan(session, study, timezone)
    return _record(session, study, old, new, plan.changes, text, actor_id, now)


def close_enrollment(session: Session, *, study: Study, reason: str | None,
                     actor_id: int | None, now: datetime) -> ProtocolAmendment:
    text = require_reason(reason)
    if study.status != ACTIVE:
        raise ValidationError({"study": f"{study.code} is not recruiting."})
    set_actor(session, actor_id, text)
    definition = load_definition(session, study)
    study.status = FOLLOW_UP_ONLY
    session.add(study)
    return _record(session, study, definition, definition, ["enrollment closed"], text,
                   actor_id, now)


def _record(session: Session, study: Study, old: StudyDefinition, new: StudyDefinition,
            changes: list[str], reason: str, actor_id: int | None,
            now: datetime) -> ProtocolAmendment:
    number = session.exec(select(func.count()).select_from(ProtocolAmendment).where(
        ProtocolAmendment.study_id == study.id)).one() + 1
    amendment = ProtocolAmendment(
        study_id=study.id, number=number, made_at=now, made_by_id=actor_id,  # type: ignore[arg-type]
        reason=reason, summary="; ".join(changes)[:2000],
        before=from_definition(old).model_dump(mode="json"),
        after=from_definition(new).model_dump(mode="json"))
    study.protocol_version = number + 1
    session.add_all([amendment, study])
    session.flush()
    return amendment


def amendments_of(session: Session, study_id: int) -> list[ProtocolAmendment]:
    return list(session.exec(select(ProtocolAmendment).where(
        ProtocolAmendment.study_id == study_id).order_by(col(ProtocolAmendment.number))))


def _apply(session: Session, study: Study, new: StudyDefinition, plan: AmendmentPlan,
           now: datetime) -> None:
    study.title, study.design = new.title, new.design
    study.consent_version, study.steroid_cap_mg = new.consent_version, new.steroid_cap_mg
    study.capped_steroid = new.capped_steroid
    study.matching = matching_to_json(new.matching)
    study.self_report = new.self_report.to_json() if new.self_report else None
    study.roots = list(new.roots)
    session.add(study)
    _apply_arms(session, study, new)
    _apply_timepoints(session, study, new, plan)
    _apply_measures(session, study, new, plan, now)
    _apply_criteria(session, study, new)
    session.flush()


def _apply_arms(session: Session, study: Study, new: StudyDefinition) -> None:
    rows = {a.code: a for a in session.exec(select(StudyArm).where(StudyArm.study_id == study.id))}
    for position, arm in enumerate(new.arms):
        row = rows.pop(arm.code, None) or StudyArm(study_id=study.id, code=arm.code,  # type: ignore[arg-type]
                                                   modality=arm.modality, label=arm.label)
        row.label, row.position = arm.label, position
        session.add(row)
    for row in rows.values():  # registry groups without patients (the plan checked)
        session.delete(row)


def _apply_timepoints(session: Session, study: Study, new: StudyDefinition,
                      plan: AmendmentPlan) -> None:
    rows = {t.code: t for t in session.exec(select(StudyTimepoint).where(
        StudyTimepoint.study_id == study.id))}
    for code in plan.removed_timepoints:
        row = rows.pop(code)
        for visit in session.exec(select(Assessment).where(  # one by one: each audited
                Assessment.timepoint_id == row.id, Assessment.state == "pending")):
            session.delete(visit)
        session.flush()  # the visits go before their timepoint
        session.delete(row)
    for position, spec in enumerate(new.timepoints):
        row = rows.get(spec.code) or StudyTimepoint(study_id=study.id, code=spec.code,  # type: ignore[arg-type]
                                                    is_baseline=spec.is_baseline, offset_days=0)
        row.label, row.offset_days, row.position = spec.label, spec.offset_days, position
        row.window_before_days, row.window_after_days = (spec.window_before_days,
                                                         spec.window_after_days)
        session.add(row)


def _apply_measures(session: Session, study: Study, new: StudyDefinition,
                    plan: AmendmentPlan, now: datetime) -> None:
    rows = {m.instrument: m for m in session.exec(select(StudyMeasure).where(
        StudyMeasure.study_id == study.id))}
    for position, measure in enumerate(new.measures):
        row = rows.pop(measure.instrument, None)
        added = dict(row.added_at or {}) if row else {}
        if row is not None or plan.added_measures.get(measure.instrument):
            for tp in plan.added_measures.get(measure.instrument, []):
                added[tp] = now.isoformat()
        asked = {t.code for t in new.timepoints} if measure.timepoints is None \
            else set(measure.timepoints)
        added = {tp: at for tp, at in added.items() if tp in asked}  # not a removed one
        row = row or StudyMeasure(study_id=study.id, instrument=measure.instrument)  # type: ignore[arg-type]
        row.timepoint_codes = list(measure.timepoints) if measure.timepoints is not None else None
        row.strata = list(measure.strata) if measure.strata is not None else None
        row.response_categories, row.position = measure.response_categories, position
        row.added_at = added or None
        session.add(row)
    for row in rows.values():  # measures with nothing recorded (the plan checked)
        session.delete(row)


def _apply_criteria(session: Session, study: Study, new: StudyDefinition) -> None:
    rows = {c.code: c for c in session.exec(select(EligibilityCriterion).where(
        EligibilityCriterion.study_id == study.id))}
    for position, criterion in enumerate(new.criteria):
        row = rows.pop(criterion.code, None) or EligibilityCriterion(
            study_id=study.id, code=criterion.code, kind=str(criterion.kind))  # type: ignore[arg-type]
        row.text, row.position = criterion.text, position
        row.age_at_least, row.age_at_most = criterion.age_at_least, criterion.age_at_most
        session.add(row)
    for row in rows.values():  # never answered (the plan checked)
        session.delete(row)


def _replan(session: Session, study: Study, timezone: str) -> None:
    """Every patient on follow-up gets the amended schedule (pending visits only)."""
    patients = session.exec(select(Patient).join(Enrollment, col(Enrollment.patient_id)
                                                 == Patient.id)
                            .where(Patient.study_id == study.id,
                                   Enrollment.status == "enrolled")).all()
    for patient in patients:
        index = session.exec(select(Procedure).where(Procedure.patient_id == patient.id)
                             .order_by(col(Procedure.performed_at), col(Procedure.id))).first()
        if index is not None:
            schedule_from_procedure(session, patient=patient, procedure=index, timezone=timezone)
        assign_registry_group(session, patient)
