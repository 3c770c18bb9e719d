"""Draw synthetic candidates, procedures and outcomes (pure: numpy and the standard
library; scipy would add half a second to every ``seed-demo``).

Scores use a Gaussian copula: each patient has a persistent latent level, so a
patient in more pain at baseline tends to stay in more pain, and each timepoint's
marginal follows the seed trial's median (IQR) through a piecewise-linear quantile
function (see calibration.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import NormalDist

import numpy as np

from clinic.demo import calibration as cal
from clinic.enrollment.inputs import IdentityInput, PatientInput
from clinic.procedures.inputs import InjectateInput, ProcedureInput, TargetInput

PROBS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
STANDARD_NORMAL = NormalDist()
ROOT_LEVEL = {"L3": "L3-L4", "L4": "L4-L5", "L5": "L5-S1"}


def from_quantiles(q: cal.Quantiles, p: float) -> float:
    return float(np.interp(p, PROBS, np.asarray(q, dtype=float)))


def pick(rng: np.random.Generator, options: dict, ) -> object:  # type: ignore[type-arg]
    keys = list(options)
    weights = np.asarray(list(options.values()), dtype=float)
    return keys[int(rng.choice(len(keys), p=weights / weights.sum()))]


@dataclass(frozen=True)
class Candidate:
    index: int
    answers: dict[str, bool]
    patient: PatientInput
    identity: IdentityInput
    punctures: int
    si_side: str | None
    procedure_day: date
    enrolled_on: date


def draw_candidate(rng: np.random.Generator, index: int, criteria: list[str],
                   inclusion: set[str], today: date) -> Candidate:
    answers = {code: code in inclusion for code in criteria}
    if rng.random() < cal.SCREEN_FAILURE_RATE:
        failing = criteria[int(rng.integers(len(criteria)))]
        answers[failing] = not answers[failing]
    low, high = pick(rng, {k: v for k, v in cal.PUNCTURE_BINS.items()})  # type: ignore[misc]
    day = today - timedelta(days=int(rng.integers(0, cal.PROCEDURE_SPREAD_DAYS)))
    return Candidate(index, answers, _patient(rng, index), _identity(rng, index),
                     int(rng.integers(low, high + 1)), pick(rng, cal.SI_SIDE),  # type: ignore[arg-type]
                     day, day - timedelta(days=int(rng.integers(0, 11))))


def _patient(rng: np.random.Generator, index: int) -> PatientInput:
    laterality = {root: str(pick(rng, dict(zip(("none", "unilateral", "bilateral"), p,
                                               strict=True))))
                  for root, p in cal.LATERALITY.items()}
    return PatientInput(
        study_code=f"DEMO-{index:04d}",
        sex="male" if rng.random() < cal.MALE else "female",
        age_at_enrollment=int(np.clip(round(rng.normal(cal.AGE_MEAN, cal.AGE_SD)), 18, 85)),
        bmi=round(float(np.clip(rng.normal(cal.BMI_MEAN, cal.BMI_SD), 17, 45)), 1),
        diagnosis=str(pick(rng, {"Lumbar disc herniation with radiculopathy": 0.6,
                                 "Lumbar disc bulge with radiculopathy": 0.4})),
        symptom_duration_months=round(6.5 + float(rng.exponential(12)), 1),
        root_laterality=laterality,
    )


def _identity(rng: np.random.Generator, index: int) -> IdentityInput:
    return IdentityInput(
        name=f"Synthetic Patient {index:04d}", mrn=f"SYN{index:06d}",
        phone=f"+00 0000 {index:04d}", email=f"patient{index:04d}@example.invalid",
        reminder_consent=bool(rng.random() < 0.6),
        # every third patient answers by link, every sixth in Spanish (no draw: the
        # demo's other values stay as they were)
        self_report_consent=index % 3 == 0, language="es" if index % 6 == 0 else "en")


def draw_procedure(rng: np.random.Generator, c: Candidate, arm: str, modality: str,
                   tz: object) -> ProcedureInput:
    clock = time(8 + int(rng.integers(0, 7)), int(rng.choice([0, 15, 30, 45])))
    performed = datetime.combine(c.procedure_day, clock, tzinfo=tz).astimezone(UTC)  # type: ignore[arg-type]
    targets, injectates = _targets(rng, c)
    radiation = _radiation(rng, modality)
    return ProcedureInput(
        performed_at=performed, modality=modality, procedure_type="tfesi_prf",
        punctures=c.punctures, targets=tuple(targets), injectates=tuple(injectates),
        contrast_volume_ml=float(rng.choice([1.0, 1.5, 2.0])),
        contrast_extravasation=bool(rng.random() < cal.EXTRAVASATION),
        rf_temperature_c=42.0, rf_frequency_hz=2.0, rf_pulse_width_ms=20.0, rf_duration_s=300.0,
        operative_time_min=round(from_quantiles(cal.OPERATIVE_TIME_MIN[arm], rng.random()), 1),
        first_attempt_success=bool(rng.random() < 0.85),
        needle_repositions=int(rng.poisson(0.4)), **radiation)


def _radiation(rng: np.random.Generator, modality: str) -> dict[str, float]:
    if modality == "fluoroscopy":
        return {"dap_mgy_cm2": round(from_quantiles(cal.DAP_MGY_CM2, rng.random()), 1),
                "fluoroscopy_time_s": round(from_quantiles(cal.FLUORO_TIME_S, rng.random()))}
    dlp = round(from_quantiles(cal.DLP_MGY_CM, rng.random()), 1)
    return {"dlp_mgy_cm": dlp, "ctdivol_mgy": round(dlp / rng.uniform(*cal.SCAN_LENGTH_CM), 2)}


def _targets(rng: np.random.Generator,
             c: Candidate) -> tuple[list[TargetInput], list[InjectateInput]]:
    needles = [("L5", "left"), ("L5", "right"), ("L4", "left"), ("L4", "right"),
               ("L3", "left"), ("L3", "right")]
    chosen = needles[: c.punctures] if rng.random() < 0.5 else _shuffle_pairs(rng, needles,
                                                                              c.punctures)
    sides: dict[str, set[str]] = {}
    for root, side in chosen:
        sides.setdefault(root, set()).add(side)
    targets = [TargetInput(ROOT_LEVEL[r], "bilateral" if len(s) == 2 else next(iter(s)))
               for r, s in sorted(sides.items())]
    injectates = [InjectateInput("lidocaine", 1.0, 1.5, None) for _ in chosen]
    injectates += [InjectateInput("dexamethasone", None, None, 8.0) for _ in targets]
    if c.si_side:
        targets.append(TargetInput("SIJ", c.si_side))
        injectates += [InjectateInput("bupivacaine", 0.25, 2.0, None),
                       InjectateInput("dexamethasone", None, None, 8.0)]
    if rng.random() < 0.3:
        injectates.append(InjectateInput("methylprednisolone_acetate", None, 1.0, 40.0))
    return targets, injectates


def _shuffle_pairs(rng: np.random.Generator, needles: list[tuple[str, str]],
                   k: int) -> list[tuple[str, str]]:
    order = rng.permutation(len(needles))
    return [needles[i] for i in order[:k]]


class BaselineDeck:
    """Stratified baseline quantiles per arm: one probability drawn in each of ``size``
    equal strata, dealt in a random order, so each arm's baseline sample follows the
    trial's median (IQR) closely instead of drifting by sampling noise. Drawn within
    the strata, not at their middles: arms calibrated alike (the seed trial's baseline
    VAS) would otherwise get the very same values, and the report a p of exactly 1."""

    def __init__(self, rng: np.random.Generator, size: int) -> None:
        self.rng, self.size = rng, max(size, 10)
        self.decks: dict[str, list[float]] = {}

    def deal(self, arm: str) -> float:
        deck = self.decks.get(arm)
        if not deck:
            deck = list((self.rng.permutation(self.size) + self.rng.random(self.size))
                        / self.size)
            self.decks[arm] = deck
        return deck.pop()


def draw_outcomes(rng: np.random.Generator, arm: str,
                  baseline_p: float) -> dict[str, dict[str, object]]:
    """Every measure at every timepoint, for one patient of ``arm``.

    ``baseline_p`` places the patient in the baseline distribution; later timepoints
    are correlated with it through the patient's latent level.
    """
    latent = STANDARD_NORMAL.inv_cdf(baseline_p)
    rho = cal.WITHIN_PATIENT_CORRELATION
    out: dict[str, dict[str, object]] = {}
    for tp, q in cal.VAS[arm].items():
        p = baseline_p if tp == "baseline" else _p(rng, latent, rho)
        out.setdefault(tp, {})["vas"] = int(round(from_quantiles(q, p)))
    for tp, q in cal.ODI[arm].items():
        p = baseline_p if tp == "baseline" else _p(rng, latent, rho)
        raw = int(round(from_quantiles(q, p) / 2))
        out.setdefault(tp, {})["odi"] = _sections(rng, min(raw, 50))
    out["week_1"]["satisfaction_procedure"] = _level(rng, cal.SATISFACTION_PROCEDURE[arm])
    out["month_1"]["satisfaction_results"] = _level(rng, cal.SATISFACTION_RESULTS[arm])
    out["month_1"]["nsaid_reduction"] = int(
        round(from_quantiles(cal.NSAID_REDUCTION[arm], rng.random()) / 10) * 10)
    for tp, (share, dose) in (("baseline", cal.OME_BEFORE[arm]),
                              ("month_1", cal.OME_MONTH_1[arm])):
        out[tp]["ome"] = dose if rng.random() < share else 0.0
    return out


def _p(rng: np.random.Generator, latent: float, rho: float) -> float:
    z = rho * latent + np.sqrt(1 - rho**2) * rng.normal()
    return STANDARD_NORMAL.cdf(float(z))


def _sections(rng: np.random.Generator, raw_sum: int) -> list[int]:
    """Ten section scores (0-5) adding up to ``raw_sum``."""
    sections = [0] * 10
    for _ in range(raw_sum):
        open_ = [i for i, v in enumerate(sections) if v < 5]
        sections[open_[int(rng.integers(len(open_)))]] += 1
    return sections


def _level(rng: np.random.Generator, counts: tuple[int, int, int, int]) -> int:
    weights = np.asarray(counts, dtype=float)
    return int(rng.choice(4, p=weights / weights.sum())) + 1


def draw_complication(rng: np.random.Generator, arm: str) -> str | None:
    for event_type, probability in cal.COMPLICATIONS[arm].items():
        if rng.random() < probability:
            return event_type
    return None
