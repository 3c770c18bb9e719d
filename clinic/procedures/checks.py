"""Plausibility warnings for a new or corrected procedure, counting what the patient already had."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection, Sequence
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
    low_radiation_warnings,
    mismatched_dose_warnings,
    steroid_cap_of,
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


def procedure_checks(session: Session, patient: Patient, data: ProcedureInput, *,
                     timezone: str, correcting: int | None = None
                     ) -> tuple[list[str], list[str]]:
    """The plausibility warnings (confirmed before saving) and the protocol deviations
    (confirmed, with a reason) of a new or corrected procedure, over this patient's
    procedures so far plus this one (the earlier injectates read once).

    ``correcting`` names a recorded procedure that ``data`` replaces, so its own
    injectates are not counted twice.
    """
    zone = ZoneInfo(timezone)
    study = session.get(Study, patient.study_id)
    # each injection's plausibility: this procedure's own; the cap: the patient's total
    warnings = (steroid_warnings(data) + mismatched_dose_warnings(data)
                + low_radiation_warnings(data)
                + _same_day(session, patient, data, correcting, zone)
                + _before_randomization(session, patient, data, study, zone))
    deviations = steroid_over_cap(data, previous_injectates(session, patient, correcting),
                                  steroid_cap_of(study))
    deviations += _other_modality(session, patient, data, study)
    return warnings, deviations + ([] if is_planned(data, timezone) else dose_deviations(data))


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


def _other_modality(session: Session, patient: Patient, data: ProcedureInput,
                    study: Study | None) -> list[str]:
    """Another guidance modality than the allocated arm's (a randomized study)."""
    arm = allocated_arm(session, patient)
    if (arm is None or study is None or study.design_type == "registry"
            or data.modality == arm.modality):
        return []
    return [f"Guidance {MODALITIES.get(data.modality, data.modality)} differs from the "
            f"allocated arm's ({arm.label}: {MODALITIES[arm.modality]})."]


def _before_randomization(session: Session, patient: Patient, data: ProcedureInput,
                          study: Study | None, zone: ZoneInfo) -> list[str]:
    """A randomized patient's procedure dated before the randomization in the app: a
    warning to confirm (kept in the audit trail), not a deviation: an enrollment entered
    after the fact, dated back to the day it took place, is randomized when it is
    entered; a wrong date is caught here."""
    if study is None or study.design_type == "registry":
        return []
    randomized = session.exec(select(Enrollment.randomized_at).where(
        Enrollment.patient_id == patient.id, col(Enrollment.arm_id).is_not(None))).first()
    if randomized is None or data.performed_at >= randomized:
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


def warning_key(warning: str) -> str:
    """A warning's short name, which the form sends back with the confirmation: a
    confirmation holds for the warnings it was given for (pure)."""
    return hashlib.sha256(warning.encode()).hexdigest()[:16]


CHANGED_SINCE = ("A value changed after the box was ticked, and the points above changed "
                 "with it: check them, then confirm again.")


def to_confirm(warnings: list[str], deviations: list[str],
               settled: Sequence[str] = ()) -> list[str]:
    """The deviations, then the warnings, that a save must confirm: all but those in
    ``settled`` (already confirmed), each of those settling one of its kind: a warning
    found twice and settled once is asked once (pure)."""
    left = Counter(settled)
    asked = []
    for point in (*deviations, *warnings):
        if left[point]:
            left[point] -= 1
        else:
            asked.append(point)
    return asked


def confirmation_errors(warnings: list[str], deviations: list[str], *, confirmed: bool,
                        reason: str | None, shown: Collection[str] | None = None,
                        settled: Sequence[str] = ()) -> dict[str, str]:
    """Warnings need a confirmation; deviations need it and a reason (pure). ``shown``:
    the keys of the warnings the confirmation was given for, as the form sends them back
    (None: whatever is found, as the API's ``confirm_warnings``, or a script posting the
    form without them); one not among them is asked about again, the box unticked.
    ``settled``: those confirmed before (a correction's recorded values raised them,
    :func:`clinic.procedures.corrections.settled_checks`), not asked again; a deviation
    among them still needs its reason."""
    asked = to_confirm(warnings, deviations, settled)
    if asked and not confirmed:
        return {"confirm_warnings": "Check the points above, then confirm to save anyway."}
    if shown is not None and any(warning_key(w) not in shown for w in asked):
        return {"confirm_warnings": CHANGED_SINCE}
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
