"""Registry studies: a patient's comparison group is the guidance modality of the index
(first) procedure. It is set when that procedure is recorded and follows corrections of
its modality or date; the change is audited like any other."""

from __future__ import annotations

from sqlmodel import Session, col, select

from clinic.models import Enrollment, Patient, Procedure, Study, StudyArm
from clinic.protocol.definition import REGISTRY


def assign_registry_group(session: Session, patient: Patient) -> None:
    study = session.get(Study, patient.study_id)
    if study is None or study.design_type != REGISTRY:
        return
    enrollment = session.exec(select(Enrollment).where(
        Enrollment.patient_id == patient.id)).first()
    if enrollment is None:
        return
    index = session.exec(select(Procedure).where(Procedure.patient_id == patient.id)
                         .order_by(col(Procedure.performed_at), col(Procedure.id))).first()
    arm = None
    if index is not None:
        arm = session.exec(select(StudyArm).where(StudyArm.study_id == study.id,
                                                  StudyArm.modality == index.modality)).first()
    wanted = arm.id if arm is not None else None
    if enrollment.arm_id != wanted:
        enrollment.arm_id = wanted
        session.add(enrollment)
        session.flush()
