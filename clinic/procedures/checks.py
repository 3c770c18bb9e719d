"""Plausibility warnings for a new procedure, counting what the patient already had."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session, select

from clinic.models import Injectate, Patient, Procedure, Study
from clinic.procedures.inputs import InjectateInput, ProcedureInput, steroid_warnings


def previous_injectates(session: Session, patient: Patient) -> tuple[InjectateInput, ...]:
    rows = session.exec(select(Injectate).join(Procedure, Procedure.id == Injectate.procedure_id)
                        .where(Procedure.patient_id == patient.id)).all()
    return tuple(InjectateInput(r.drug, r.concentration_pct, r.volume_ml, r.dose_mg)
                 for r in rows)


def patient_warnings(session: Session, patient: Patient, data: ProcedureInput) -> list[str]:
    """steroid_warnings over this patient's procedures so far plus the new one."""
    study = session.get(Study, patient.study_id)
    cap = study.steroid_cap_mg if study else None
    combined = replace(data, injectates=previous_injectates(session, patient) + data.injectates)
    return steroid_warnings(combined, cap)
