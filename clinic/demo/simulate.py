"""Synthetic patients for any SYNTHETIC study: try a protocol before going live.

``flask --app clinic study simulate CODE`` screens, enrolls (or registers), treats and
follows up made-up patients through the same services the screens call, so that the
worklist, the reminders, the cohort view and the report of a new protocol can be seen
with data in them. Only a study marked synthetic accepts them (``synthetic = true`` in
its protocol file, or ``study create --synthetic``): they never mix with real patients.

The values are plausible, not calibrated to a trial (the demo study DEMO is): pain
starts around 7 of 10 and falls over the follow-up, a little more in some arms; the
disability index follows the pain; in a registry the guidance modality depends on age
and sex, so that the groups differ at baseline and the matched comparison has
something to balance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlmodel import Session, select

from clinic.audit import set_actor
from clinic.catalog import MODALITIES_WITH_CT_DOSE, MODALITIES_WITH_DAP, PROCEDURE_TYPES
from clinic.enrollment.inputs import IdentityInput, PatientInput
from clinic.enrollment.randomization import generate_allocation_sequence
from clinic.enrollment.service import enroll, screen
from clinic.exceptions import ValidationError
from clinic.followup.service import measures_at, record_follow_up
from clinic.models import AllocationSlot, Assessment, Patient, Site, Study
from clinic.procedures.inputs import InjectateInput, ProcedureInput, TargetInput
from clinic.procedures.service import record_procedure
from clinic.scoring.instruments import INSTRUMENTS, InstrumentKind
from clinic.studies.setup import arms, criteria, load_definition, timepoints

COMPLETION = 0.85  # share of follow-ups done once their window has closed
MAX_PATIENTS = 250_000


@dataclass
class SimulationResult:
    enrolled: int = 0
    treated: int = 0
    follow_ups: int = 0
    by_group: dict[str, int] = field(default_factory=dict)


def simulate_study(session: Session, study: Study, *, patients: int, seed: int,
                   today: date, timezone: str,
                   procedure_type: str = "tfesi") -> SimulationResult:
    """Add ``patients`` synthetic patients to a synthetic study (the caller commits)."""
    _check(session, study, patients)
    set_actor(session, None, "Synthetic patients (study simulate)")
    rng = np.random.default_rng(seed)
    definition = load_definition(session, study)
    sites = list(session.exec(select(Site).order_by(Site.code)))
    if not definition.is_registry and not session.exec(
            select(AllocationSlot.id).where(AllocationSlot.study_id == study.id)).first():
        generate_allocation_sequence(session, study, seed=seed,
                                     slots_per_stratum=max(60, patients + 12))
    if procedure_type not in PROCEDURE_TYPES:
        raise ValidationError({"procedure_type": f"One of: {', '.join(PROCEDURE_TYPES)}."})
    plan = _Plan.of(session, study, definition, rng, today, ZoneInfo(timezone))
    plan.procedure_type = procedure_type
    result = SimulationResult()
    start = _next_number(session, study)
    for n in range(start, start + patients):
        _one_patient(session, study, plan, sites[n % len(sites)], n, result)
    return result


def _check(session: Session, study: Study, patients: int) -> None:
    if not study.is_synthetic:
        raise ValidationError({"study": f"{study.code} is a study for real patients: "
                                        "synthetic ones go only into a study marked synthetic "
                                        "(study create --synthetic)."})
    if study.status not in ("planning", "recruiting"):
        raise ValidationError({"study": f"{study.code} is not recruiting."})
    if not 1 <= patients <= MAX_PATIENTS:
        raise ValidationError({"patients": f"Between 1 and {MAX_PATIENTS:,} patients."})
    if session.exec(select(Site.id)).first() is None:
        raise ValidationError({"site": "Create a site first (Admin → Sites)."})


@dataclass
class _Plan:
    rng: np.random.Generator
    today: date
    zone: ZoneInfo
    registry: bool
    modalities: list[str]  # one per arm, in arm order
    arm_effect: list[float]  # pain points better than the first arm at the last visit
    last_day: int  # the latest follow-up day
    criteria: dict[str, bool]  # the answers of an eligible candidate
    factors: dict[str, tuple[int, int]]  # factor -> the range its bins cover
    timepoint_days: dict[int, int]  # timepoint id -> offset days
    follow_up_rank: dict[int, float]  # timepoint id -> 0 (baseline) .. 1 (the last visit)
    procedure_type: str = "tfesi"

    @classmethod
    def of(cls, session: Session, study: Study, definition: object, rng: np.random.Generator,
           today: date, zone: ZoneInfo) -> _Plan:
        study_arms = arms(session, study.id)  # type: ignore[arg-type]
        tps = timepoints(session, study.id)  # type: ignore[arg-type]
        strata = definition.strata  # type: ignore[attr-defined]
        return cls(
            rng=rng, today=today, zone=zone,
            registry=definition.is_registry,  # type: ignore[attr-defined]
            modalities=[a.modality for a in study_arms],
            arm_effect=[0.6 * i for i in range(len(study_arms))],
            last_day=max(t.offset_days + t.window_after_days for t in tps),
            criteria={c.code: c.kind == "inclusion"
                      for c in criteria(session, study.id)},  # type: ignore[arg-type]
            factors={s.name: (min(b.low for b in s.bins), max(b.high for b in s.bins))
                     for s in strata},
            timepoint_days={t.id: t.offset_days for t in tps},  # type: ignore[misc]
            follow_up_rank=_ranks(tps))


def _ranks(tps: list) -> dict[int, float]:  # type: ignore[type-arg]
    """Each follow-up's place in the schedule, from the first (small) to the last (1)."""
    follow_ups = sorted((t for t in tps if not t.is_baseline),
                        key=lambda t: (t.offset_days, t.position))
    ranks = {t.id: 0.0 for t in tps if t.is_baseline}
    ranks |= {t.id: (i + 1) / len(follow_ups) for i, t in enumerate(follow_ups)}
    return ranks


def _next_number(session: Session, study: Study) -> int:
    return len(session.exec(select(Patient.id).where(Patient.study_id == study.id)).all()) + 1


def _one_patient(session: Session, study: Study, plan: _Plan, site: Site, n: int,
                 result: SimulationResult) -> None:
    rng = plan.rng
    screening, problems = screen(session, study=study, site_id=site.id,  # type: ignore[arg-type]
                                 answers=plan.criteria, actor_id=None)
    if problems:
        raise ValidationError({"criteria": "; ".join(problems)})
    patient_in = _patient(rng, study.code, n)
    day = plan.today - timedelta(days=int(rng.integers(0, plan.last_day + 60)))
    enrollment = enroll(
        session, study=study, screening=screening, patient=patient_in,
        identity=IdentityInput(name=f"Synthetic Patient {n:05d}",
                               email=f"synthetic{n:05d}@example.invalid",
                               reminder_consent=bool(rng.random() < 0.6)),
        factors={name: int(rng.integers(low, high + 1))
                 for name, (low, high) in plan.factors.items()},
        enrolled_on=day - timedelta(days=int(rng.integers(0, 8))), actor_id=None)
    result.enrolled += 1
    patient = session.get(Patient, enrollment.patient_id)
    assert patient is not None
    group = _group(plan, patient_in, enrollment.arm_id, session, study)
    record_procedure(session, patient=patient, timezone=str(plan.zone),
                     data=_procedure(rng, plan.modalities[group], day, plan.zone,
                                     plan.procedure_type))
    result.treated += 1
    label = plan.modalities[group]
    result.by_group[label] = result.by_group.get(label, 0) + 1
    result.follow_ups += _follow_ups(session, plan, patient, group)


def _patient(rng: np.random.Generator, code: str, n: int) -> PatientInput:
    return PatientInput(
        study_code=f"{code[:10]}-S{n:05d}", sex="male" if rng.random() < 0.45 else "female",
        age_at_enrollment=int(np.clip(round(rng.normal(55, 12)), 20, 85)),
        bmi=round(float(np.clip(rng.normal(26.5, 4), 17, 45)), 1),
        diagnosis="Synthetic diagnosis",
        symptom_duration_months=round(3 + float(rng.exponential(12)), 1))


def _group(plan: _Plan, p: PatientInput, arm_id: int | None, session: Session,
           study: Study) -> int:
    """The arm allocated (randomized), or the modality chosen in care (registry): older
    patients and men lean to the later groups, so the groups differ at baseline."""
    if not plan.registry:
        ids = [a.id for a in arms(session, study.id)]  # type: ignore[arg-type]
        return ids.index(arm_id)
    lean = 0.05 * ((p.age_at_enrollment or 55) - 55) + (0.4 if p.sex == "male" else -0.2)
    weights = np.array([math.exp(lean * i) for i in range(len(plan.modalities))])
    return int(plan.rng.choice(len(weights), p=weights / weights.sum()))


def _procedure(rng: np.random.Generator, modality: str, day: date, zone: ZoneInfo,
               procedure_type: str) -> ProcedureInput:
    when = datetime.combine(day, time(8 + int(rng.integers(0, 8)), 0), tzinfo=zone)
    radiation: dict[str, float] = {}
    if modality in MODALITIES_WITH_DAP:
        radiation = {"dap_mgy_cm2": round(float(rng.lognormal(5.8, 0.5)), 1),
                     "fluoroscopy_time_s": round(float(rng.lognormal(4.0, 0.4)))}
    elif modality in MODALITIES_WITH_CT_DOSE:
        dlp = round(float(rng.lognormal(5.7, 0.3)), 1)
        radiation = {"dlp_mgy_cm": dlp, "ctdivol_mgy": round(dlp / rng.uniform(25, 40), 2)}
    return ProcedureInput(
        performed_at=when.astimezone(UTC), modality=modality, procedure_type=procedure_type,
        punctures=1, targets=(TargetInput("L4-L5", "left"),),
        injectates=(InjectateInput("lidocaine", 1.0, 1.5),
                    InjectateInput("dexamethasone", dose_mg=8.0)),
        operative_time_min=round(float(rng.lognormal(3.0, 0.3)), 1), **radiation)


def _follow_ups(session: Session, plan: _Plan, patient: Patient, group: int) -> int:
    rng = plan.rng
    baseline_pain = float(np.clip(rng.normal(7.0, 1.2), 3, 10))
    done = 0
    for a in session.exec(select(Assessment).where(Assessment.patient_id == patient.id)
                          .order_by(Assessment.target_date)).all():
        if a.window_open > plan.today or (a.window_close >= plan.today and rng.random() < 0.5):
            continue
        if a.window_close < plan.today and rng.random() > COMPLETION:
            continue
        pain = _pain(rng, baseline_pain, plan.follow_up_rank[a.timepoint_id],
                     plan.arm_effect[group])
        entries = {code: _value(rng, code, pain) for code in measures_at(session, a)}
        record_follow_up(session, assessment=a, entries=entries, mode="in_clinic",
                         actor_id=None, collected_at=_visit_time(a, plan))
        done += 1
    return done


def _pain(rng: np.random.Generator, baseline: float, rank: float, effect: float) -> float:
    """Pain on a 0–10 scale: the baseline, then a fall that grows over the follow-ups to
    about half (more in the later arms); the first visit already shows some relief."""
    if rank <= 0:
        return baseline
    fall = (0.45 * baseline + effect) * (0.35 + 0.65 * rank)
    return float(np.clip(baseline - fall + rng.normal(0, 1.0), 0, 10))


def _value(rng: np.random.Generator, code: str, pain: float) -> object:
    kind = INSTRUMENTS[code].kind
    if kind is InstrumentKind.SCALE:
        return int(round(pain))
    if kind is InstrumentKind.SECTIONS:
        total = int(np.clip(round(pain * 3.5 + rng.normal(0, 3)), 0, 50))
        sections = [0] * 10
        for _ in range(total):
            free = [i for i, v in enumerate(sections) if v < 5]
            sections[free[int(rng.integers(len(free)))]] += 1
        return sections
    if kind is InstrumentKind.LIKERT:
        return int(np.clip(round(4.2 - pain / 3 + rng.normal(0, 0.6)), 1, 4))
    if code == "nsaid_reduction":
        return int(np.clip(round((10 - pain) * 10, -1), 0, 100))
    return round(float(max(0.0, rng.normal(pain * 6, 10))), 1)  # OME, gabapentin (mg)


def _visit_time(a: Assessment, plan: _Plan) -> datetime:
    day = min(max(a.target_date, a.window_open), plan.today)
    return datetime.combine(day, time(10), tzinfo=plan.zone).astimezone(UTC)
