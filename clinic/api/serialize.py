"""Records → response models (no identity data is ever serialized)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from clinic.api.schemas import (
    AdverseEventOut,
    AssessmentOut,
    MedicationOut,
    PatientOut,
    ProcedureOut,
    ScoreOut,
    SelfReportMessageOut,
    SelfReportOut,
)
from clinic.followup.editing import scores_of, sections_of
from clinic.followup.service import measures_at
from clinic.models import (
    AdverseEvent,
    Assessment,
    Enrollment,
    Injectate,
    Medication,
    Patient,
    Procedure,
    ProcedureTarget,
    Site,
    StudyArm,
    StudyTimepoint,
)
from clinic.patients.overview import derived_status
from clinic.scheduling.windows import window_deviation
from clinic.scoring.instruments import INSTRUMENTS
from clinic.selfreport.planning import ladder_specs
from clinic.selfreport.status import visit_links


def patient_out(session: Session, patient: Patient) -> PatientOut:
    enrollment = session.exec(select(Enrollment).where(
        Enrollment.patient_id == patient.id)).first()
    arm = session.get(StudyArm, enrollment.arm_id) if enrollment else None
    site = session.get(Site, patient.site_id)
    return PatientOut(
        id=patient.id, study_code=patient.study_code, site=site.code if site else "",  # type: ignore[arg-type]
        arm=arm.code if arm else None, enrollment_status=enrollment.status if enrollment else None,
        sex=patient.sex, age_at_enrollment=patient.age_at_enrollment,
        birth_year=patient.birth_year, bmi=patient.bmi, diagnosis=patient.diagnosis,
        symptom_duration_months=patient.symptom_duration_months, version=patient.version)


def procedure_out(session: Session, p: Procedure, warnings: list[str] | None = None
                  ) -> ProcedureOut:
    targets = session.exec(select(ProcedureTarget).where(ProcedureTarget.procedure_id == p.id)
                           .order_by(ProcedureTarget.id)).all()
    injectates = session.exec(select(Injectate).where(Injectate.procedure_id == p.id)
                              .order_by(Injectate.id)).all()
    values = p.model_dump(exclude={"operator_id", "created_at"})
    return ProcedureOut(
        **values, warnings=warnings or [],
        targets=[{"level": t.level, "side": t.side} for t in targets],  # type: ignore[misc]
        injectates=[{"drug": i.drug, "concentration_pct": i.concentration_pct,  # type: ignore[misc]
                     "volume_ml": i.volume_ml, "dose_mg": i.dose_mg} for i in injectates])


def self_report_out(session: Session, a: Assessment, study_id: int,
                    today: date) -> SelfReportOut | None:
    link = visit_links(session, [a], ladder_specs(session), {a.id: study_id}, today).get(a.id)  # type: ignore[dict-item]
    if link is None:
        return None
    return SelfReportOut(
        invited=link.invited, planned=[day for _, day in link.planned],
        messages=[SelfReportMessageOut(step=m.step, state=m.state, send_on=m.send_on,
                                       sent_at=m.sent_at, opened_at=m.opened_at, note=m.note)
                  for m in link.messages],
        opened_at=link.opened_at, started_at=link.started_at, submitted_at=link.submitted_at,
        wrong_birth_dates=link.wrong_birth_dates, locked_until=link.locked_until,
        call_from=link.call_from)


def assessment_out(session: Session, a: Assessment, today: date) -> AssessmentOut:
    timepoint = session.get(StudyTimepoint, a.timepoint_id)
    return AssessmentOut(
        self_report=self_report_out(session, a, timepoint.study_id, today) if timepoint else None,
        id=a.id, patient_id=a.patient_id, timepoint=timepoint.code if timepoint else "",  # type: ignore[arg-type]
        target_date=a.target_date, window_open=a.window_open, window_close=a.window_close,
        state=a.state, status=derived_status(a, today), mode=a.mode,
        not_done_reason=a.not_done_reason,
        completed_at=a.completed_at, visit_on=a.visit_on, missing_reason=a.missing_reason,
        outside_window=window_deviation(a.visit_on, a.window_open, a.window_close)
        if a.state == "completed" else None,
        version=a.version, measures=measures_at(session, a),
        scores=[_score(session, s) for s in scores_of(session, a)],
        medications=[MedicationOut(med_class=m.med_class, drug=m.drug,
                                  daily_dose_mg=m.daily_dose_mg)
                     for m in session.exec(select(Medication).where(
                         Medication.assessment_id == a.id).order_by(Medication.id))],
        adverse_events=[adverse_event_out(e) for e in session.exec(select(AdverseEvent).where(
            AdverseEvent.assessment_id == a.id).order_by(AdverseEvent.id))])


def adverse_event_out(e: AdverseEvent) -> AdverseEventOut:
    return AdverseEventOut(**e.model_dump(exclude={"recorded_at"}))


def _score(session: Session, s: object) -> ScoreOut:
    codes = [sec.code for sec in INSTRUMENTS[s.instrument].sections]  # type: ignore[attr-defined]
    sections = {codes[row.section - 1]: row.value for row in sections_of(session, s)}  # type: ignore[arg-type]
    return ScoreOut(instrument=s.instrument, value=s.value, raw_sum=s.raw_sum,  # type: ignore[attr-defined]
                    answered=s.answered, not_computable_reason=s.not_computable_reason,  # type: ignore[attr-defined]
                    sections=sections, mode=s.mode)  # type: ignore[attr-defined]
