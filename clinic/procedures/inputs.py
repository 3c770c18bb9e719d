"""Validated procedure input (pure). Radiation fields follow the modality."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from clinic.catalog import (
    DRUGS,
    LEVELS,
    MODALITIES,
    MODALITIES_WITH_CT_DOSE,
    MODALITIES_WITH_DAP,
    NUMBER_BOUNDS,
    PROCEDURE_DATE_MIN,
    PROCEDURE_DAYS_AHEAD_MAX,
    PROCEDURE_TYPES,
    SIDES,
)
from clinic.exceptions import ValidationError

NOTES_MAX = 2000
MAX_ROWS = 20  # targets or injectates in one procedure
DAP_FIELDS = ("dap_mgy_cm2", "fluoroscopy_time_s")
CT_FIELDS = ("ctdivol_mgy", "dlp_mgy_cm")
NON_NEGATIVE = ("contrast_volume_ml", "rf_frequency_hz", "rf_pulse_width_ms", "rf_duration_s",
                *DAP_FIELDS, *CT_FIELDS, "operative_time_min", "needle_repositions")


@dataclass(frozen=True)
class TargetInput:
    level: str
    side: str


@dataclass(frozen=True)
class InjectateInput:
    drug: str
    concentration_pct: float | None = None
    volume_ml: float | None = None
    dose_mg: float | None = None


@dataclass(frozen=True)
class ProcedureInput:
    performed_at: datetime
    modality: str
    procedure_type: str
    punctures: int
    targets: tuple[TargetInput, ...] = ()
    injectates: tuple[InjectateInput, ...] = ()
    operator_id: int | None = None
    contrast_volume_ml: float | None = None
    contrast_extravasation: bool | None = None
    rf_temperature_c: float | None = None
    rf_frequency_hz: float | None = None
    rf_pulse_width_ms: float | None = None
    rf_duration_s: float | None = None
    dap_mgy_cm2: float | None = None
    fluoroscopy_time_s: float | None = None
    ctdivol_mgy: float | None = None
    dlp_mgy_cm: float | None = None
    operative_time_min: float | None = None
    first_attempt_success: bool | None = None
    needle_repositions: int | None = None
    notes: str | None = None
    deviation_reason: str | None = None  # given when a protocol deviation is confirmed
    extra: dict[str, str] = field(default_factory=dict)

    def column_values(self) -> dict[str, object]:
        skip = {"targets", "injectates", "extra"}
        return {k: v for k, v in self.__dict__.items() if k not in skip}


def performed_at_problem(performed_at: datetime | None, today: date) -> str | None:
    """Why a procedure cannot have taken place then, or None."""
    if performed_at is None:
        return "Enter the date and time of the procedure."
    if performed_at.tzinfo is None:
        return "Give the date and time with its time zone."
    latest = today + timedelta(days=PROCEDURE_DAYS_AHEAD_MAX)
    if not PROCEDURE_DATE_MIN <= performed_at.date() <= latest:
        return (f"Enter a procedure date from {PROCEDURE_DATE_MIN:%Y-%m-%d} to "
                f"{latest:%Y-%m-%d}.")
    return None


def validate_procedure(p: ProcedureInput, today: date | None = None) -> None:
    errors: dict[str, str] = {}
    problem = performed_at_problem(p.performed_at, today or date.today())
    if problem:
        errors["performed_at"] = problem
    if p.modality not in MODALITIES:
        errors["modality"] = "Choose the guidance modality from the list."
    if p.procedure_type not in PROCEDURE_TYPES:
        errors["procedure_type"] = "Choose a procedure type from the list."
    if not 1 <= p.punctures <= 20:
        errors["punctures"] = "Number of punctures must be between 1 and 20."
    _check_numbers(p, errors)
    _check_radiation(p, errors)
    _check_children(p, errors)
    if "notes" not in errors and (other := _others_unnamed(p)):
        errors["notes"] = (f"Say in the notes which {other} 'Other' is: it is not in the "
                           "list, and the record would not say what was done.")
    if errors:
        raise ValidationError(errors)


def _others_unnamed(p: ProcedureInput) -> str | None:
    """'level', 'drug' or 'level and drug' chosen as Other with no notes to name them (as
    an adverse event 'Other' asks what happened), else None."""
    if (p.notes or "").strip():
        return None
    other = [word for word, rows, field in (("level", p.targets, "level"),
                                            ("drug", p.injectates, "drug"))
             if any(getattr(row, field) == "other" for row in rows)]
    return " and ".join(other) or None


def _check_numbers(p: ProcedureInput, errors: dict[str, str]) -> None:
    for name in NON_NEGATIVE:
        problem = out_of_bounds(name, getattr(p, name))
        if problem:
            errors[name] = problem
    if p.rf_temperature_c is not None and not 0 <= p.rf_temperature_c <= 95:
        errors["rf_temperature_c"] = "RF temperature must be between 0 and 95 °C."
    if p.notes is not None and len(p.notes) > NOTES_MAX:
        errors["notes"] = f"Keep the notes under {NOTES_MAX} characters."
    if len(p.targets) > MAX_ROWS or len(p.injectates) > MAX_ROWS:
        errors["targets"] = f"At most {MAX_ROWS} targets and {MAX_ROWS} injectates."
    elif not p.targets:
        errors["targets"] = "Enter at least one target level: where the needle went."


def out_of_bounds(name: str, value: float | None) -> str | None:
    """The message for a number outside catalog.NUMBER_BOUNDS (or not finite), or None."""
    if value is None:
        return None
    low, high = NUMBER_BOUNDS[name]
    if not math.isfinite(value) or not low <= value <= high:
        return f"Enter a number from {low:g} to {high:g}."
    return None


def _check_radiation(p: ProcedureInput, errors: dict[str, str]) -> None:
    label = MODALITIES.get(p.modality, p.modality)
    if p.modality not in MODALITIES_WITH_DAP:
        for name in DAP_FIELDS:
            if getattr(p, name) is not None:
                errors[name] = f"{label} records no dose-area product or fluoroscopy time."
    if p.modality not in MODALITIES_WITH_CT_DOSE:
        for name in CT_FIELDS:
            if getattr(p, name) is not None:
                errors[name] = f"{label} records no CTDIvol or DLP."


def _check_children(p: ProcedureInput, errors: dict[str, str]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for i, t in enumerate(p.targets):
        if t.level not in LEVELS:
            errors[f"targets.{i}.level"] = "Choose a level from the list."
        if t.side not in SIDES:
            errors[f"targets.{i}.side"] = "Choose left, right, bilateral or midline."
            continue
        earlier = next((seen[t.level, side] for side in _OVERLAPPING[t.side]
                        if (t.level, side) in seen), None)
        if earlier is not None:
            first = p.targets[earlier].side
            errors[f"targets.{i}.level"] = (
                f"{t.level} {t.side} is already target {earlier + 1}: enter each level "
                "and side once." if first == t.side else
                f"{t.level} {t.side} overlaps target {earlier + 1} ({t.level} {first}): "
                "enter bilateral once, or left and right.")
        seen.setdefault((t.level, t.side), i)
    for i, inj in enumerate(p.injectates):
        if inj.drug not in DRUGS:
            errors[f"injectates.{i}.drug"] = "Choose a drug from the list."
        if inj.concentration_pct is not None and not 0 <= inj.concentration_pct <= 100:
            errors[f"injectates.{i}.concentration_pct"] = "Concentration is a % from 0 to 100."
        for name in ("volume_ml", "dose_mg"):
            problem = out_of_bounds(name, getattr(inj, name))
            if problem:
                errors[f"injectates.{i}.{name}"] = problem


# sides that cannot both be targets at one level: the same side, or bilateral and a side
_OVERLAPPING = {"left": ("left", "bilateral"), "right": ("right", "bilateral"),
                "bilateral": ("bilateral", "left", "right"), "midline": ("midline",)}


# Beyond these a spinal injection's dose is more likely a unit or typing slip than a
# value: saved only when confirmed. The seed trial (Bessar et al., CT- vs fluoroscopy-
# guided interventions, 200 patients), Table 4: median (IQR) radiation dose 352.0
# (270.5-415.0) under fluoroscopy and 347.5 (265.0-388.5) under CT, printed in "mGy" for
# both (read here as DAP in mGy·cm² and DLP in mGy·cm), operative time 22.5 (19.0-30.0)
# min. The limits sit some 100 times (DAP: a dGy·cm² or cGy·cm² slip), 5 times (DLP)
# and 8 times (time) above those upper quartiles. CTDIvol: 2,000 mGy·cm over the
# shortest spinal scan, 20 cm. Fluoroscopy time: no source here (the trial does not
# report it); half an hour of screening for one injection.
PLAUSIBLE_MAX = {"dap_mgy_cm2": (50_000, "DAP", "mGy·cm²"),
                 "fluoroscopy_time_s": (1_800, "Fluoroscopy time", "s"),
                 "ctdivol_mgy": (100, "CTDIvol", "mGy"), "dlp_mgy_cm": (2_000, "DLP", "mGy·cm"),
                 "operative_time_min": (240, "Operative time", "min")}

# The most of each steroid one injectate usually holds; more is more likely a slip of the
# unit, the volume or the drug than a dose, and is saved only when confirmed. Steroids
# differ some fivefold in potency (0.75 mg of dexamethasone or betamethasone does what
# 4 mg of methylprednisolone or triamcinolone does), so one limit for all (120 mg) let
# dexamethasone 80 mg pass. The doses used in the seeds: the seed trial gives 8 mg dexamethasone per
# level and methylprednisolone acetate up to 80 mg per patient; the trials of the
# ultrasound-vs-fluoroscopy meta-analysis give dexamethasone 8 and 10 mg and
# methylprednisolone acetate 40 and 80 mg in one injection; the US-MRI fusion study
# triamcinolone 20 mg. Dexamethasone: 20 mg, twice the largest of those. Methylpred-
# nisolone acetate and triamcinolone: the 120 mg every steroid had before, half again the
# largest, 80 mg. Betamethasone: the seeds and references give no dose; 24 mg is kept
# conservative, four times the 6 mg of a lumbar transforaminal injection in a study
# comparing 3 and 6 mg (Wong et al.; not in the shared references: revisit with one).
STEROID_MG_PER_INJECTION_MAX = {"dexamethasone": 20, "methylprednisolone_acetate": 120,
                                "triamcinolone": 120, "betamethasone": 24}

# Below these a fluoroscopy dose or time is more likely read in another unit than
# measured, and is saved only when confirmed. DAP: the seed trial's fluoroscopy arm gave
# 352.0 (270.5-415.0) mGy·cm² (Table 4, median (IQR)); the lowest of 228 fluoroscopy-
# guided lumbar epidural injections in Kim et al. (PubMed 24441060) was 3.02 μGy·m²,
# 30.2 mGy·cm². 5 mGy·cm² is a sixth of that, and a value of the trial's range read in
# Gy·cm² (0.27-0.42) or dGy·cm² (2.7-4.2) falls below it (one read in μGy·m², a tenth,
# does not). Fluoroscopy time: the seed trial does not report it; in Kim et al. 11-161 s
# (median 29 s) for a transforaminal and 4-78 s for a caudal injection. 2 s is half the
# shortest, and a time under 2 min read in minutes falls below it. CT (CTDIvol, DLP): no
# lower limit, the same reasoning does not hold: an ultra-low-dose protocol's
# interventional scans give a median DLP of 2.26 mGy·cm (periradicular infiltration, Acta
# Radiologica 2017, doi 10.1177/0284185117694508), as small as a slip would be.
DAP_PLAUSIBLE_MIN_MGY_CM2 = 5
FLUOROSCOPY_TIME_PLAUSIBLE_MIN_S = 2

MG_PER_ML_PER_PERCENT = 10  # 1 % is 1 g in 100 mL
# An injectate's dose and its concentration × volume further apart than this share of
# the larger is no rounding, nor a steroid's salt beside its base: one of the three is
# mistyped. A steroid's dose may be written as its base while its vial is labelled by
# its salt: dexamethasone sodium phosphate 4 mg/mL is 3.3 mg/mL of dexamethasone (17 %
# less), betamethasone sodium phosphate 3.9 mg is 3 mg of betamethasone (23 % less); at
# 10 % these were warned about. A slip of a unit or a decimal (10 times) or of a
# volume doubled (half) stays far beyond a quarter.
DOSE_MISMATCH_SHARE = 0.25


@dataclass(frozen=True)
class SteroidCap:
    """A study's cap per patient of one steroid (the seed trial's: 80 mg of
    methylprednisolone acetate); other steroids are not counted against it."""

    mg: float
    steroid: str  # a code of catalog.STEROIDS


def steroid_cap_of(study: Any) -> SteroidCap | None:
    """The cap of ``study`` (anything with ``steroid_cap_mg`` and ``capped_steroid``, a
    stored study or a protocol definition); None: no study, or a study without a cap."""
    if study is None or study.steroid_cap_mg is None:
        return None
    return SteroidCap(study.steroid_cap_mg, study.capped_steroid)


def capped_steroid_mg(injectates: Iterable[Any], steroid: str) -> float:
    """The mg of ``steroid`` (the study's capped one) among ``injectates`` (inputs or
    stored rows: anything with ``drug`` and ``dose_mg``)."""
    return sum(i.dose_mg or 0 for i in injectates if i.drug == steroid)


def steroid_over_cap(p: ProcedureInput, earlier: Sequence[InjectateInput],
                     cap: SteroidCap | None) -> list[str]:
    """The protocol's cap per patient of its capped steroid exceeded by ``p``'s dose of
    it on top of the patient's ``earlier`` injectates: a protocol deviation. A procedure
    that gives none of it exceeds no cap, whatever the patient had before (pure)."""
    if cap is None:
        return []
    here = capped_steroid_mg(p.injectates, cap.steroid)
    before = capped_steroid_mg(earlier, cap.steroid)
    if not here or here + before <= cap.mg:
        return []
    parts = f"{here:g} here" + (f", {before:g} before" if before else "")
    return [f"{DRUGS[cap.steroid]} over the study's cap of {cap.mg:g} mg per patient: "
            f"{here + before:g} mg in all ({parts})."]


def steroid_warnings(p: ProcedureInput) -> list[str]:
    """Plausibility warnings that do not block saving: a dose or time beyond what a
    spinal injection gives."""
    warnings = []
    for i in p.injectates:
        most = STEROID_MG_PER_INJECTION_MAX.get(i.drug)
        if most is not None and (i.dose_mg or 0) > most:
            warnings.append(f"{DRUGS[i.drug]} {i.dose_mg:g} mg in one injection is more "
                            f"than {most:g} mg: check the dose and its unit.")
    for name, (most, label, unit) in PLAUSIBLE_MAX.items():
        value = getattr(p, name)
        if value is not None and value > most:
            warnings.append(f"{label} {value:,g} {unit} is more than {most:,} {unit}, beyond "
                            "what a spinal injection gives: check the value and its unit.")
    return warnings


def low_radiation_warnings(p: ProcedureInput) -> list[str]:
    """Plausibility warnings that do not block saving: a fluoroscopy dose or time below
    what the guidance gives, naming the unit it was likely read in (pure)."""
    guided = _guided_injection(p.modality)
    warnings = []
    dap, seconds = p.dap_mgy_cm2, p.fluoroscopy_time_s
    if dap is not None and dap < DAP_PLAUSIBLE_MIN_MGY_CM2:
        warnings.append(f"DAP {dap:,g} mGy·cm²: lower than {guided} gives "
                        + (f"(check the unit: {dap:,g} Gy·cm² is {dap * 1000:,g} mGy·cm²)."
                           if dap else "(leave it empty if the dose was not recorded)."))
    if seconds is not None and seconds < FLUOROSCOPY_TIME_PLAUSIBLE_MIN_S:
        warnings.append(f"Fluoroscopy time {seconds:,g} s: shorter than {guided} takes "
                        + (f"(check the unit: {seconds:,g} min is {seconds * 60:,g} s)."
                           if seconds else "(leave it empty if it was not recorded)."))
    return warnings


def _guided_injection(modality: str) -> str:
    """'a fluoroscopy-guided injection', 'a DSA-guided injection' (pure)."""
    label = MODALITIES.get(modality, modality)
    name = label if label[:2].isupper() else label[:1].lower() + label[1:]
    return f"a {name}-guided injection"


def injectate_dose(i: InjectateInput) -> float | None:
    """The mg that ``i``'s concentration (%) and volume (mL) make, or None without
    both (pure)."""
    if i.concentration_pct is None or i.volume_ml is None:
        return None
    return i.concentration_pct * MG_PER_ML_PER_PERCENT * i.volume_ml


def mismatched_dose_warnings(p: ProcedureInput) -> list[str]:
    """Plausibility warnings that do not block saving: an injectate whose dose and
    concentration × volume disagree beyond rounding (pure)."""
    warnings = []
    for i in p.injectates:
        made = injectate_dose(i)
        if made is None or i.dose_mg is None:
            continue
        if abs(made - i.dose_mg) <= DOSE_MISMATCH_SHARE * max(made, i.dose_mg):
            continue
        warnings.append(f"{DRUGS.get(i.drug, i.drug)} {i.dose_mg:,g} mg, but "
                        f"{i.concentration_pct:g} % × {i.volume_ml:g} mL is {made:,g} mg: "
                        "check the dose, the concentration or the volume.")
    return warnings


def dose_deviations(p: ProcedureInput) -> list[str]:
    """The radiation dose the protocol needs but the entry lacks (pure)."""
    label = MODALITIES.get(p.modality, p.modality)
    if p.modality in MODALITIES_WITH_CT_DOSE and (p.dlp_mgy_cm is None or p.ctdivol_mgy is None):
        return [f"{label} without its dose (DLP and CTDIvol): the radiation comparison "
                "will miss this procedure."]
    if p.modality in MODALITIES_WITH_DAP and p.dap_mgy_cm2 is None:
        return [f"{label} without a dose-area product (DAP): the radiation comparison will "
                "miss this procedure."]
    return []
