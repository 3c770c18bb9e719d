"""Which procedure a dose report belongs to, for a folder import: the procedure that has
a report of the same DICOM study already (a report split over files), else the one
procedure of the patient whose MRN is the report's patient ID, on the report's day,
of a modality that records this kind of dose."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from clinic.catalog import MODALITIES_WITH_CT_DOSE, MODALITIES_WITH_DAP
from clinic.dose.rdsr import DoseReport
from clinic.models import Patient, PatientIdentity, Procedure, RadiationDoseReport


@dataclass(frozen=True)
class Match:
    procedure: Procedure | None
    patient: Patient | None
    why: str  # "same DICOM study", "patient and day", or why none was found


def match(session: Session, report: DoseReport, timezone: str) -> Match:
    if report.study_instance_uid:
        known = session.exec(select(Procedure, Patient)
                             .join(RadiationDoseReport,
                                   col(RadiationDoseReport.procedure_id) == col(Procedure.id))
                             .join(Patient, col(Patient.id) == col(Procedure.patient_id))
                             .where(RadiationDoseReport.study_instance_uid
                                    == report.study_instance_uid)).first()
        if known is not None:
            return Match(known[0], known[1], "same DICOM study as an imported report")
    if not report.patient_id or report.study_date is None:
        return Match(None, None, "the report has no patient ID or no study date")
    patients = list(session.exec(select(Patient).join(
        PatientIdentity, col(PatientIdentity.patient_id) == col(Patient.id))
        .where(PatientIdentity.mrn == report.patient_id.strip())).all())
    if not patients:
        return Match(None, None, "no patient has this MRN")
    modalities = MODALITIES_WITH_CT_DOSE if report.kind == "ct" else MODALITIES_WITH_DAP
    zone = ZoneInfo(timezone)
    found = [(p, patient) for patient in patients for p in session.exec(
        select(Procedure).where(Procedure.patient_id == patient.id,
                                col(Procedure.modality).in_(sorted(modalities))))
             if p.performed_at.astimezone(zone).date() == report.study_date]
    if len(found) == 1:
        return Match(found[0][0], found[0][1], "patient and day")
    if not found:
        kinds = "CT" if report.kind == "ct" else "fluoroscopy, DSA or cone-beam CT"
        return Match(None, patients[0], f"no {kinds} procedure of this patient on "
                                        f"{report.study_date.isoformat()}")
    return Match(None, patients[0], f"{len(found)} procedures that day: import it on the "
                                    "right one from the patient page")
