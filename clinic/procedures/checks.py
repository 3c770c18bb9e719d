"""Plausibility warnings for a new or corrected procedure, counting what the patient already had."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from clinic.catalog import MODALITIES
from clinic.exceptions import ValidationError
from clinic.models import (
    Assessment,
    Enrollment,
    Injectate,
    Patient,
    Procedure,
    Study,
    StudyArm,
    StudyTimepoint,
)
from clinic.procedures.inputs import (
    InjectateInput,
    ProcedureInput,
    dose_deviations,
    steroid_over_cap,
    steroid_warnings,
)


def previous_injectates(session: Session, patient: Patient,
                        excluding: int | None = None) -> tuple[InjectateInput, ...]:
    query = (select(Injectate).join(Procedure, Procedure.id == Injectate.procedure_id)
             .where(Procedure.patient_id == patient.id))
    if excluding is not None:
        query = query.where(Procedure.id != excluding)
    rows = session.exec(query).all()
    return tuple(InjectateInput(r.drug, r.concentration_pct, r.volume_ml, r.dose_mg)
                 for r in rows)


def patient_warnings(session: Session, patient: Patient, data: ProcedureInput, *,
                     timezone: str, correcting: int | None = None) -> list[str]:
    """steroid_warnings over this patient's procedures so far plus the new one.

    ``correcting`` names a recorded procedure that ``data`` replaces, so its own
    injectates are not counted twice.
    """
    zone = ZoneInfo(timezone)
    return (steroid_warnings(_with_earlier(session, patient, data, correcting))
            + _same_day(session, patient, data, correcting, zone)
            + _before_randomization(session, patient, data, zone))


def _with_earlier(session: Session, patient: Patient, data: ProcedureInput,
                  correcting: int | None) -> ProcedureInput:
    """``data`` with the injectates of the patient's other procedures too."""
    earlier = previous_injectates(session, patient, correcting)
    return replace(data, injectates=earlier + data.injectates)


def _same_day(session: Session, patient: Patient, data: ProcedureInput,
              correcting: int | None, zone: ZoneInfo) -> list[str]:
    """A second procedure on one day (the clinic's) is more often the first one saved
    twice."""
    day = data.performed_at.astimezone(zone).date()
    query = select(Procedure.performed_at).where(Procedure.patient_id == patient.id)
    if correcting is not None:
        query = query.where(Procedure.id != correcting)
    if not any(when.astimezone(zone).date() == day for when in session.exec(query)):
        return []
    return [f"{patient.study_code} already has a procedure on {day:%Y-%m-%d}: save this one "
            "only if the patient had a second (to change the first, correct it on the "
            "patient page)."]


# Not known before a procedure is done: refused for one planned after today.
KNOWN_ONCE_DONE = ("dap_mgy_cm2", "fluoroscopy_time_s", "ctdivol_mgy", "dlp_mgy_cm",
                   "operative_time_min", "needle_repositions")


def check_planned_values(data: ProcedureInput, timezone: str) -> None:
    """A procedure planned after today has no dose, time or repositions yet."""
    if not is_planned(data, timezone):
        return
    day = data.performed_at.astimezone(ZoneInfo(timezone)).date()
    errors = {name: f"The procedure is planned for {day:%Y-%m-%d}: enter this once it is "
                    "done (correct the procedure then)."
              for name in KNOWN_ONCE_DONE if getattr(data, name) is not None}
    if errors:
        raise ValidationError(errors)


def allocated_arm(session: Session, patient: Patient) -> StudyArm | None:
    """The arm the patient was allocated to (None: a registry's patient, no arm)."""
    return session.exec(select(StudyArm).join(Enrollment, Enrollment.arm_id == StudyArm.id)  # type: ignore[arg-type]
                        .where(Enrollment.patient_id == patient.id)).first()


def protocol_deviations(session: Session, patient: Patient, data: ProcedureInput,
                        timezone: str, correcting: int | None = None) -> list[str]:
    """What departs from the protocol: another guidance modality than the allocated
    arm's, the study's steroid cap per patient exceeded, a dose not recorded. Saved only
    when confirmed, with a reason; listed on the patient page and counted in the
    report."""
    study = session.get(Study, patient.study_id)
    found = steroid_over_cap(_with_earlier(session, patient, data, correcting),
                             study.steroid_cap_mg if study else None)
    arm = allocated_arm(session, patient)
    if (arm is not None and study is not None and study.design_type != "registry"
            and data.modality != arm.modality):
        found.append(f"Guidance {MODALITIES.get(data.modality, data.modality)} differs from "
                     f"the allocated arm's ({arm.label}: {MODALITIES[arm.modality]}).")
    return found + ([] if is_planned(data, timezone) else dose_deviations(data))


def _before_randomization(session: Session, patient: Patient, data: ProcedureInput,
                          zone: ZoneInfo) -> list[str]:
    """A randomized patient's procedure dated before the randomization in the app: a
    warning to confirm (kept in the audit trail), not a deviation: an enrollment entered
    after the fact, dated back to the day it took place, is randomized when it is
    entered; a wrong date is caught here."""
    study = session.get(Study, patient.study_id)
    randomized = session.exec(select(Enrollment.randomized_at).where(
        Enrollment.patient_id == patient.id, col(Enrollment.arm_id).is_not(None))).first()
    if (study is None or study.design_type == "registry" or randomized is None
            or data.performed_at >= randomized):
        return []
    return [f"Dated {data.performed_at.astimezone(zone):%Y-%m-%d %H:%M}, before the "
            f"patient's randomization ({randomized.astimezone(zone):%Y-%m-%d %H:%M}): the "
            "arm was not known yet. Check the date."]


def is_planned(data: ProcedureInput, timezone: str) -> bool:
    """Dated after today in the clinic: its dose, time and repositions are not known."""
    zone = ZoneInfo(timezone)
    return data.performed_at.astimezone(zone).date() > datetime.now(zone).date()


def confirmed_words(warnings: list[str]) -> str | None:
    """The audit reason of a procedure saved over warnings: what was confirmed."""
    return f"Confirmed before saving: {'; '.join(warnings)}" if warnings else None


def confirmation_errors(warnings: list[str], deviations: list[str], *, confirmed: bool,
                        reason: str | None) -> dict[str, str]:
    """Warnings need a confirmation; deviations need it and a reason (pure)."""
    if (warnings or deviations) and not confirmed:
        return {"confirm_warnings": "Check the points above, then confirm to save anyway."}
    if deviations and len(" ".join((reason or "").split())) < 3:
        return {"deviation_reason": "Say why the procedure departs from the protocol."}
    return {}


def check_procedure_day(session: Session, patient: Patient, performed_at: datetime,
                        timezone: str, procedure_id: int | None = None) -> None:
    """A procedure is done after enrollment (and consent), and a recorded procedure does
    not move past the follow-ups recorded after it: ValidationError otherwise."""
    day = performed_at.astimezone(ZoneInfo(timezone)).date()
    enrolled = session.exec(select(Enrollment.enrolled_on).where(
        Enrollment.patient_id == patient.id)).first()
    if enrolled is not None and day < enrolled:
        raise ValidationError({"performed_at": f"That is before the patient's enrollment "
                                               f"({enrolled.isoformat()}): a procedure is "
                                               "done after consent and enrollment."})
    if procedure_id is None:
        return
    first = session.exec(select(func.min(Assessment.visit_on))
                         .join(StudyTimepoint, StudyTimepoint.id == Assessment.timepoint_id)  # type: ignore[arg-type]
                         .where(Assessment.procedure_id == procedure_id,
                                Assessment.state == "completed",
                                StudyTimepoint.is_baseline == False)).one()  # noqa: E712
    if first is not None and first < day:
        raise ValidationError({"performed_at": f"A follow-up after this procedure is "
                                               f"recorded on {first.isoformat()}: the "
                                               "procedure cannot move after it. Correct "
                                               "that visit's date first."})
