"""Plausibility warnings for a new or corrected procedure, counting what the patient already had."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session, select

from clinic.models import Injectate, Patient, Procedure, Study
from clinic.procedures.inputs import InjectateInput, ProcedureInput, steroid_warnings


def previous_injectates(session: Session, patient: Patient,
                        excluding: int | None = None) -> tuple[InjectateInput, ...]:
    query = (select(Injectate).join(Procedure, Procedure.id == Injectate.procedure_id)
             .where(Procedure.patient_id == patient.id))
    if excluding is not None:
        query = query.where(Procedure.id != excluding)
    rows = session.exec(query).all()
    return tuple(InjectateInput(r.drug, r.concentration_pct, r.volume_ml, r.dose_mg)
                 for r in rows)


def patient_warnings(session: Session, patient: Patient, data: ProcedureInput,
                     correcting: int | None = None) -> list[str]:
    """steroid_warnings over this patient's procedures so far plus the new one.

    ``correcting`` names a recorded procedure that ``data`` replaces, so its own
    injectates are not counted twice.
    """
    study = session.get(Study, patient.study_id)
    cap = study.steroid_cap_mg if study else None
    earlier = previous_injectates(session, patient, correcting)
    combined = replace(data, injectates=earlier + data.injectates)
    return steroid_warnings(combined, cap)
