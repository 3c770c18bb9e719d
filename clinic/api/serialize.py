"""Records → response models (no identity data is ever serialized)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

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
from clinic.models import (
    AdverseEvent,
    Assessment,
    Enrollment,
    Injectate,
    Medication,
    Patient,
    Procedure,
    ProcedureTarget,
    RootLaterality,
    Score,
    ScoreSection,
    Site,
    StudyArm,
    StudyMeasure,
    StudyTimepoint,
)
from clinic.patients.listing import PatientRow
from clinic.patients.overview import derived_status
from clinic.protocol.measures import MeasureRule, instruments_at
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
        symptom_duration_months=patient.symptom_duration_months, version=patient.version,
        root_laterality={r.root: r.laterality for r in session.exec(
            select(RootLaterality).where(RootLaterality.patient_id == patient.id)
            .order_by(RootLaterality.root))})


def patient_row_out(r: PatientRow) -> PatientOut:
    """A patient of a list page, from the page's one query (no statement per patient)."""
    return PatientOut(
        id=r.patient_id, study_code=r.study_code, site=r.site_code, arm=r.arm_code or None,
        enrollment_status=r.status, sex=r.sex, age_at_enrollment=r.age_at_enrollment,  # type: ignore[arg-type]
        birth_year=r.birth_year, bmi=r.bmi, diagnosis=r.diagnosis,
        symptom_duration_months=r.symptom_duration_months, version=r.version)


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


def _self_report_out(link: object | None) -> SelfReportOut | None:
    if link is None:
        return None
    return SelfReportOut(
        invited=link.invited, planned=[day for _, day in link.planned],  # type: ignore[attr-defined]
        messages=[SelfReportMessageOut(step=m.step, state=m.state, send_on=m.send_on,
                                       sent_at=m.sent_at, opened_at=m.opened_at, note=m.note)
                  for m in link.messages],  # type: ignore[attr-defined]
        opened_at=link.opened_at, started_at=link.started_at, submitted_at=link.submitted_at,  # type: ignore[attr-defined]
        wrong_birth_dates=link.wrong_birth_dates, locked_until=link.locked_until,  # type: ignore[attr-defined]
        call_from=link.call_from)  # type: ignore[attr-defined]


def assessment_out(session: Session, a: Assessment, today: date) -> AssessmentOut:
    return assessments_out(session, [a], today)[0]


def _by(rows: object, key: str) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:  # type: ignore[attr-defined]
        grouped[getattr(row, key)].append(row)
    return grouped


def assessments_out(session: Session, assessments: list[Assessment],
                    today: date) -> list[AssessmentOut]:
    """The assessments (of one patient, or one) with their scores, sections, medication,
    adverse events and self-report state, in a fixed number of statements."""
    if not assessments:
        return []
    ids = [a.id for a in assessments]
    tps = {t.id: t for t in session.exec(select(StudyTimepoint).where(
        col(StudyTimepoint.id).in_({a.timepoint_id for a in assessments})))}
    scores = _by(session.exec(select(Score).where(col(Score.assessment_id).in_(ids))
                              .order_by(Score.id)), "assessment_id")
    score_ids = [s.id for rows in scores.values() for s in rows]
    sections = _by(session.exec(select(ScoreSection).where(
        col(ScoreSection.score_id).in_(score_ids)).order_by(ScoreSection.section)), "score_id")
    medications = _by(session.exec(select(Medication).where(
        col(Medication.assessment_id).in_(ids)).order_by(Medication.id)), "assessment_id")
    events = _by(session.exec(select(AdverseEvent).where(
        col(AdverseEvent.assessment_id).in_(ids)).order_by(AdverseEvent.id)), "assessment_id")
    measures = _measures(session, assessments, tps)
    study_of = {a.id: tps[a.timepoint_id].study_id for a in assessments}
    links = visit_links(session, assessments, ladder_specs(session), study_of, today)  # type: ignore[arg-type]
    return [AssessmentOut(
        self_report=_self_report_out(links.get(a.id)),  # type: ignore[arg-type]
        id=a.id, patient_id=a.patient_id, timepoint=tps[a.timepoint_id].code,  # type: ignore[arg-type]
        target_date=a.target_date, window_open=a.window_open, window_close=a.window_close,
        state=a.state, status=derived_status(a, today), mode=a.mode,
        not_done_reason=a.not_done_reason,
        completed_at=a.completed_at, visit_on=a.visit_on, missing_reason=a.missing_reason,
        outside_window=window_deviation(a.visit_on, a.window_open, a.window_close)
        if a.state == "completed" else None,
        version=a.version, measures=measures[a.id],  # type: ignore[index]
        scores=[_score(s, sections[s.id]) for s in scores[a.id]],  # type: ignore[index]
        medications=[MedicationOut(med_class=m.med_class, drug=m.drug,
                                   daily_dose_mg=m.daily_dose_mg) for m in medications[a.id]],  # type: ignore[index]
        adverse_events=[adverse_event_out(e) for e in events[a.id]])  # type: ignore[index]
        for a in assessments]


def _measures(session: Session, assessments: list[Assessment],
              tps: dict[int, StudyTimepoint]) -> dict[int, list[str]]:
    """``measures_at`` for many assessments: each study's measures and each patient's
    stratum read once."""
    studies = {t.study_id for t in tps.values()}
    rules: dict[int, list[MeasureRule]] = defaultdict(list)
    for m in session.exec(select(StudyMeasure).where(col(StudyMeasure.study_id).in_(studies))
                          .order_by(StudyMeasure.position)):
        rules[m.study_id].append(MeasureRule(m.instrument, m.timepoint_codes, m.strata,
                                             m.added_at))
    strata: dict[int, str] = {}
    if any(r.strata for rows in rules.values() for r in rows):
        strata = dict(session.exec(select(Enrollment.patient_id, Enrollment.stratum).where(  # type: ignore[arg-type]
            col(Enrollment.patient_id).in_({a.patient_id for a in assessments}))).all())
    out = {}
    for a in assessments:
        tp = tps[a.timepoint_id]
        recorded = a.completed_at if a.state != "pending" else None
        out[a.id] = instruments_at(rules[tp.study_id], tp.code, strata.get(a.patient_id),
                                   recorded)
    return out  # type: ignore[return-value]


def adverse_event_out(e: AdverseEvent) -> AdverseEventOut:
    return AdverseEventOut(**e.model_dump(exclude={"recorded_at"}))


def _score(s: Score, rows: list[ScoreSection]) -> ScoreOut:
    codes = [sec.code for sec in INSTRUMENTS[s.instrument].sections]
    sections = {codes[row.section - 1]: row.value for row in rows}
    return ScoreOut(id=s.id, instrument=s.instrument, value=s.value, raw_sum=s.raw_sum,  # type: ignore[attr-defined]
                    answered=s.answered, not_computable_reason=s.not_computable_reason,  # type: ignore[attr-defined]
                    sections=sections, mode=s.mode)  # type: ignore[attr-defined]
