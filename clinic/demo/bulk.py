"""BENCHMARKS AND TESTS ONLY: a fast bulk generator of a SYNTHETIC study (bulk inserts).

It bypasses the services (no validation, no audit trail, no allocation sequence) so
that the benchmarks (scripts/bench_*.py) and the tests of statement counts and query
plans can load thousands of patients in seconds. Never use it for anything else; the
demo study is made by ``seed-demo``.
The distributions follow clinic.demo.calibration (the seed trial's Tables 1–6).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from scipy.stats import norm
from sqlalchemy import func, insert, select
from sqlmodel import Session, SQLModel

from clinic.demo import calibration as cal
from clinic.demo.protocol import DEMO_STUDY
from clinic.demo.staff import ensure_staff
from clinic.models import Assessment, Enrollment, Patient, Procedure, Score, Screening, Study
from clinic.scheduling.tally import compact_tallies
from clinic.studies.setup import arms, create_study, measures, timepoints

PROBS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
ROOT_LEVEL = {"L3": "L3-L4", "L4": "L4-L5", "L5": "L5-S1"}
BATCH = 20_000


def _q(q: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    return np.interp(u, PROBS, np.asarray(q, dtype=float))


def _next_id(session: Session, model: Any) -> int:
    return int(session.execute(select(func.coalesce(func.max(model.id), 0))).scalar_one()) + 1


def _insert(session: Session, table: str, rows: list[dict[str, Any]]) -> None:
    target = SQLModel.metadata.tables[table]
    for start in range(0, len(rows), BATCH):
        session.execute(insert(target), rows[start:start + BATCH])


def _patients(session: Session, rng: np.random.Generator, n: int, study_id: int,
              site_ids: list[int], code: str, first: int = 0) -> list[int]:
    pid0 = _next_id(session, Patient)
    ids = list(range(pid0, pid0 + n))
    age = np.clip(np.round(rng.normal(cal.AGE_MEAN, cal.AGE_SD, n)), 18, 85).astype(int)
    bmi = np.round(np.clip(rng.normal(cal.BMI_MEAN, cal.BMI_SD, n), 17, 45), 1)
    male = rng.random(n) < cal.MALE
    _insert(session, "patient", [
        {"id": pid, "study_id": study_id, "study_code": f"{code}-{first + i:06d}",
         "site_id": site_ids[i % len(site_ids)], "sex": "male" if male[i] else "female",
         "age_at_enrollment": int(age[i]), "bmi": float(bmi[i])} for i, pid in enumerate(ids)])
    lat = []
    for root, p in cal.LATERALITY.items():
        picks = rng.choice(3, size=n, p=np.asarray(p) / sum(p))
        lat += [{"patient_id": pid, "root": root,
                 "laterality": ("none", "unilateral", "bilateral")[k]}
                for pid, k in zip(ids, picks, strict=True)]
    _insert(session, "root_laterality", lat)
    return ids


def _procedures(session: Session, rng: np.random.Generator, ids: list[int], arm_rows: list[Any],
                today: date, study_id: int, site_ids: list[int],
                rng_of_injectates: np.random.Generator) -> tuple[list[int], list[date], list[str]]:
    n = len(ids)
    arm_of = rng.permutation(np.arange(n) % len(arm_rows))
    days = [today - timedelta(days=int(d)) for d in rng.integers(0, cal.PROCEDURE_SPREAD_DAYS, n)]
    punctures = rng.choice([1, 2, 3, 4, 5, 6], size=n, p=[.3575, .3575, .115, .115, .0275, .0275])
    _insert(session, "enrollment", [
        {"patient_id": pid, "study_id": study_id, "arm_id": arm_rows[a].id,
         "stratum": f"punctures_{(p - 1) // 2 * 2 + 1}_{(p - 1) // 2 * 2 + 2}",
         "enrolled_on": d - timedelta(days=3)}
        for pid, a, p, d in zip(ids, arm_of, punctures, days, strict=True)])
    _insert(session, "screening", [  # screened the day of the enrollment
        {"study_id": study_id, "site_id": site_ids[i % len(site_ids)], "is_eligible": True,
         "patient_id": pid,
         "screened_at": datetime.combine(d - timedelta(days=3), time(8), tzinfo=UTC)}
        for i, (pid, d) in enumerate(zip(ids, days, strict=True))])
    proc0 = _next_id(session, Procedure)
    codes = [arm_rows[a].code for a in arm_of]
    u = rng.random((4, n))
    rows = []
    for i, pid in enumerate(ids):
        fluoro = arm_rows[arm_of[i]].modality == "fluoroscopy"
        dlp = float(round(_q(cal.DLP_MGY_CM, u[0, i]), 1))
        rows.append({
            "id": proc0 + i, "patient_id": pid, "modality": arm_rows[arm_of[i]].modality,
            "performed_at": datetime.combine(days[i], time(9), tzinfo=UTC),
            "procedure_type": "tfesi_prf", "punctures": int(punctures[i]),
            "contrast_volume_ml": 1.5, "contrast_extravasation": bool(u[1, i] < cal.EXTRAVASATION),
            "operative_time_min": float(round(_q(cal.OPERATIVE_TIME_MIN[codes[i]], u[2, i]), 1)),
            "dap_mgy_cm2": float(round(_q(cal.DAP_MGY_CM2, u[0, i]), 1)) if fluoro else None,
            "fluoroscopy_time_s": float(round(_q(cal.FLUORO_TIME_S, u[3, i]))) if fluoro else None,
            "dlp_mgy_cm": None if fluoro else dlp,
            "ctdivol_mgy": None if fluoro else round(dlp / 35.0, 2)})
    _insert(session, "procedure", rows)
    levels = list(ROOT_LEVEL.values())
    treated = [min(3, (int(p) + 1) // 2) for p in punctures]
    _insert(session, "procedure_target", [
        {"procedure_id": proc0 + i, "level": levels[j], "side": "bilateral"}
        for i in range(n) for j in range(treated[i])])
    _insert(session, "injectate", _injectates(rng_of_injectates, proc0, treated))
    return list(range(proc0, proc0 + n)), days, codes


def _injectates(rng: np.random.Generator, proc0: int, treated: list[int]) -> list[dict[str, Any]]:
    """The seed trial's regimen: at each level treated, lidocaine 1 % 1-2 mL (its dose
    left to concentration × volume, as typed at the bedside) and dexamethasone 8 mg; in
    about a quarter of the patients methylprednisolone acetate 40 mg once (within the cap
    of 80 mg per patient)."""
    volume = rng.choice([1.0, 1.5, 2.0], size=sum(treated))
    mpa = rng.random(len(treated)) < 0.25
    rows, k = [], 0
    for i, levels in enumerate(treated):
        for _ in range(levels):
            rows += [{"procedure_id": proc0 + i, "drug": "lidocaine", "concentration_pct": 1.0,
                      "volume_ml": float(volume[k]), "dose_mg": None},
                     {"procedure_id": proc0 + i, "drug": "dexamethasone",
                      "concentration_pct": None, "volume_ml": None, "dose_mg": 8.0}]
            k += 1
        if mpa[i]:
            rows.append({"procedure_id": proc0 + i, "drug": "methylprednisolone_acetate",
                         "concentration_pct": None, "volume_ml": None, "dose_mg": 40.0})
    return rows


def _values(rng: np.random.Generator, code: str, arm: str, tp: str, latent: float) -> Any:
    u = float(norm.cdf(cal.WITHIN_PATIENT_CORRELATION * latent
                       + np.sqrt(1 - cal.WITHIN_PATIENT_CORRELATION ** 2) * rng.normal()))
    if code == "vas":
        return float(round(_q(cal.VAS[arm][tp], u))), None
    if code == "odi":
        raw = int(min(50, round(_q(cal.ODI[arm][tp], u) / 2)))
        return float(raw * 2), raw
    if code.startswith("satisfaction"):
        counts = np.asarray((cal.SATISFACTION_PROCEDURE if code.endswith("procedure")
                             else cal.SATISFACTION_RESULTS)[arm], dtype=float)
        return float(rng.choice(4, p=counts / counts.sum()) + 1), None
    if code == "nsaid_reduction":
        return float(round(_q(cal.NSAID_REDUCTION[arm], rng.random()) / 10) * 10), None
    share, dose = (cal.OME_BEFORE if tp == "baseline" else cal.OME_MONTH_1)[arm]
    return (dose if rng.random() < share else 0.0), None


def _follow_ups(session: Session, rng: np.random.Generator, ids: list[int], procs: list[int],
                days: list[date], codes: list[str], study_id: int, today: date) -> int:
    tps = timepoints(session, study_id)
    wanted = {m.instrument: m.timepoint_codes for m in measures(session, study_id)}
    a0 = _next_id(session, Assessment)
    assessments, scores = [], []
    now = datetime.now(UTC)
    for i, pid in enumerate(ids):
        latent = rng.normal()
        for tp in tps:
            target = days[i] + timedelta(days=tp.offset_days)
            close = target + timedelta(days=tp.window_after_days)
            done = close < today and rng.random() < cal.COMPLETION.get(tp.code, 0.9)
            aid = a0 + len(assessments)
            assessments.append({
                "id": aid, "patient_id": pid, "timepoint_id": tp.id, "procedure_id": procs[i],
                "target_date": target, "window_open": target - timedelta(tp.window_before_days),
                "window_close": close, "state": "completed" if done else "pending",
                "completed_at": now if done else None, "mode": "phone" if done else None})
            if not done:
                continue
            for code, tcodes in wanted.items():
                if tcodes is None or tp.code in tcodes:
                    value, raw = _values(rng, code, codes[i], tp.code, latent)
                    scores.append({"assessment_id": aid, "instrument": code, "value": value,
                                   "raw_sum": raw, "answered": 10 if raw is not None else None,
                                   "mode": "phone"})
    _insert(session, "assessment", assessments)
    _insert(session, "score", scores)
    return len(scores)


def bulk_seed(session: Session, patients: int, *, seed: int = 1, code: str = "BENCH",
              today: date | None = None) -> dict[str, int]:
    """Insert a SYNTHETIC study ``code`` with ``patients`` patients, or add them to it if it
    exists; returns row counts. The same ``seed`` and ``today`` give the same study."""
    rng = np.random.default_rng(seed)
    sites, _users = ensure_staff(session)
    study = session.scalars(select(Study).where(Study.code == code)).first()
    if study is None:
        definition = dataclasses.replace(DEMO_STUDY, code=code,
                                         title="SYNTHETIC benchmark study (bulk generator)")
        study = create_study(session, definition)
    sid: int = study.id  # type: ignore[assignment]
    today = today or date.today()
    first = int(session.execute(select(func.count(Patient.id))
                                .where(Patient.study_id == sid)).scalar_one())
    ids = _patients(session, rng, patients, sid, [s.id for s in sites], code,  # type: ignore[misc]
                    first=first)
    # the injectates draw from a stream of their own: the other values stay those the
    # same seed gave before they were added (the golden report's numbers)
    procs, days, codes = _procedures(session, rng, ids, arms(session, sid), today, sid,
                                     [s.id for s in sites],  # type: ignore[misc]
                                     np.random.default_rng([seed, len(ids), first, 2]))
    n_scores = _follow_ups(session, rng, ids, procs, days, codes, sid, today)
    compact_tallies(session)  # one tally row per key, as after the nightly job
    count = session.execute(select(func.count(Enrollment.id))
                            .where(Enrollment.study_id == sid)).scalar_one()
    screened = session.execute(select(func.count(Screening.id))
                               .where(Screening.study_id == sid)).scalar_one()
    return {"patients": int(count), "screened": int(screened), "scores": n_scores,
            "score_rows_total": int(session.execute(select(func.count(Score.id))).scalar_one())}
