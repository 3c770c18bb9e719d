"""Import a dose report onto a procedure.

* A report for another patient (its PatientID is not the patient's MRN) or another day
  (its study date more than a day from the procedure's) is refused, and so is an X-ray
  report on a CT procedure or the reverse.
* Irradiation events are kept by their UID: a second import of the same file, or of a
  report that repeats events, adds none. A report split over several files adds each
  file's new events.
* The procedure's dose is the sum over its distinct events (DAP; DLP), CTDIvol their
  mean; fluoroscopy time the sum over the distinct reports. An empty field takes the
  report's value (audited, with the report's SOP Instance UID as the reason); a typed
  value that differs is never overwritten: the difference is shown, and a correction
  with a reason takes the report's value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from clinic.audit import set_actor
from clinic.audit.words import field_label
from clinic.catalog import MODALITIES_WITH_CT_DOSE, MODALITIES_WITH_DAP, NUMBER_BOUNDS
from clinic.dose.rdsr import DoseReport
from clinic.exceptions import ValidationError
from clinic.models import (
    DataQuery,
    DoseEvent,
    Patient,
    PatientIdentity,
    Procedure,
    RadiationDoseReport,
)

TOLERANCE = 0.0005  # relative: a typed value rounded from the report's is the same value


@dataclass
class ImportResult:
    report_id: int | None
    new_events: int
    known_events: int
    filled: dict[str, float] = field(default_factory=dict)  # empty fields now set
    differing: dict[str, tuple[float, float]] = field(default_factory=dict)  # typed, report


def import_report(session: Session, *, procedure: Procedure, report: DoseReport,
                  actor_id: int | None, timezone: str) -> ImportResult:
    patient = session.get(Patient, procedure.patient_id)
    assert patient is not None
    _check_belongs(session, patient, procedure, report, timezone)
    existing = session.exec(select(RadiationDoseReport).where(
        RadiationDoseReport.sop_instance_uid == report.sop_instance_uid)).first()
    if existing is not None and existing.procedure_id != procedure.id:
        raise ValidationError({"file": "This dose report was imported onto another "
                                       "procedure already."})
    set_actor(session, actor_id, f"From dose report {report.sop_instance_uid}")
    before = report_values(session, procedure.id)  # type: ignore[arg-type]
    row = existing or _new_report(session, procedure, report, actor_id)
    known = set(session.exec(select(DoseEvent.event_uid).where(col(DoseEvent.event_uid).in_(
        [e.uid for e in report.events]))).all())
    fresh = [e for e in report.events if e.uid not in known]
    session.add_all([DoseEvent(report_id=row.id, procedure_id=procedure.id, event_uid=e.uid,  # type: ignore[arg-type]
                               **e.values) for e in fresh])
    session.flush()
    result = ImportResult(row.id, len(fresh), len(report.events) - len(fresh))
    _apply(session, procedure, result, before)
    _answer_dose_queries(session, procedure, result, report.sop_instance_uid, actor_id)
    return result


def _answer_dose_queries(session: Session, procedure: Procedure, result: ImportResult,
                         sop_uid: str, actor_id: int | None) -> None:
    """Open queries on a dose field the report just filled are answered by it."""
    from clinic.queries.service import answer_query

    if not result.filled:
        return
    open_ones = session.exec(select(DataQuery).where(
        DataQuery.target_table == "procedure", DataQuery.target_id == procedure.id,
        col(DataQuery.field).in_(list(result.filled)), DataQuery.status == "open")).all()
    for query in open_ones:
        answer_query(session, query, actor_id=actor_id,
                     text=f"Filled from the dose report {sop_uid}: "
                          f"{result.filled[query.field]:g}.")


def report_values(session: Session, procedure_id: int) -> dict[str, float]:
    """The procedure's dose as its imported reports give it (app units)."""
    events = session.exec(select(DoseEvent).where(DoseEvent.procedure_id == procedure_id)).all()
    reports = session.exec(select(RadiationDoseReport).where(
        RadiationDoseReport.procedure_id == procedure_id)).all()
    values: dict[str, float] = {}
    for name in ("dap_mgy_cm2", "dlp_mgy_cm"):
        per_event = [getattr(e, name) for e in events if getattr(e, name) is not None]
        totals = [getattr(r, name) for r in reports if getattr(r, name) is not None]
        if per_event:
            values[name] = round(sum(per_event), 4)
        elif totals:
            values[name] = round(sum(totals), 4)
    ctdi = [e.ctdivol_mgy for e in events if e.ctdivol_mgy is not None]
    if ctdi:
        values["ctdivol_mgy"] = round(sum(ctdi) / len(ctdi), 4)
    times = [r.fluoroscopy_time_s for r in reports if r.fluoroscopy_time_s is not None]
    if times:
        values["fluoroscopy_time_s"] = round(sum(times), 4)
    return values


def _apply(session: Session, procedure: Procedure, result: ImportResult,
           before: dict[str, float]) -> None:
    """Empty fields, and fields that hold what the reports gave before (a split report's
    next file), take the reports' value; a value typed by hand stays."""
    values = report_values(session, procedure.id)  # type: ignore[arg-type]
    for name, value in values.items():
        low, high = NUMBER_BOUNDS[name]
        if not low <= value <= (high if high is not None else value):
            raise ValidationError({"file": f"With this report the procedure's "
                                           f"{field_label(name)} would be {value:g}, beyond "
                                           f"{high:,}: nothing was imported. Check the "
                                           "reports of this procedure."})
    for name, value in values.items():
        typed = getattr(procedure, name)
        if typed is not None and _same(typed, value):
            continue
        if typed is None or (name in before and _same(typed, before[name])):
            setattr(procedure, name, value)
            result.filled[name] = value
        else:
            result.differing[name] = (typed, value)
    if result.filled:
        session.add(procedure)
        session.flush()


def _same(one: float, two: float) -> bool:
    return abs(one - two) <= TOLERANCE * max(abs(two), 1e-9)


def _new_report(session: Session, procedure: Procedure, report: DoseReport,
                actor_id: int | None) -> RadiationDoseReport:
    row = RadiationDoseReport(
        procedure_id=procedure.id, sop_instance_uid=report.sop_instance_uid[:64],  # type: ignore[arg-type]
        study_instance_uid=report.study_instance_uid[:64] or None, kind=report.kind,
        manufacturer=report.manufacturer[:64] or None,
        dap_mgy_cm2=report.totals.get("dap_mgy_cm2"),
        fluoroscopy_time_s=report.totals.get("fluoroscopy_time_s"),
        dlp_mgy_cm=report.totals.get("dlp_mgy_cm"), imported_by_id=actor_id)
    session.add(row)
    session.flush()
    return row


def _check_belongs(session: Session, patient: Patient, procedure: Procedure, report: DoseReport,
                   timezone: str) -> None:
    """The report's day and kind first, its patient last: a file made up to guess an MRN
    is told only its day or kind is wrong unless it fits the procedure, and a guess that
    is right is then imported, in the audit trail with who did it (roles that do not see
    identity could otherwise test MRNs one refusal at a time)."""
    day = procedure.performed_at.astimezone(ZoneInfo(timezone)).date()
    if report.study_date and abs(report.study_date - day) > timedelta(days=1):
        raise ValidationError({"file": f"This dose report is dated "
                                       f"{report.study_date.isoformat()}, the procedure "
                                       f"{day.isoformat()}. Nothing was imported."})
    wanted = "ct" if procedure.modality in MODALITIES_WITH_CT_DOSE else (
        "xray" if procedure.modality in MODALITIES_WITH_DAP else None)
    if wanted != report.kind:
        raise ValidationError({"file": f"A {'CT' if report.kind == 'ct' else 'X-ray'} dose "
                                       f"report does not fit a {procedure.modality} "
                                       "procedure. Nothing was imported."})
    mrn = session.exec(select(PatientIdentity.mrn).where(
        PatientIdentity.patient_id == patient.id)).first()
    if report.patient_id and mrn and report.patient_id.strip() != mrn.strip():
        raise ValidationError({"file": "This dose report is for another patient: its "
                                       "patient ID is not this patient's MRN. Nothing was "
                                       "imported."})


@dataclass(frozen=True)
class DoseSummary:
    values: dict[str, float]  # the reports' dose, app units
    sop_instance_uids: list[str]


def dose_summaries(session: Session, procedure_ids: list[int]) -> dict[int, DoseSummary]:
    """For the patient page: each procedure's imported dose and its reports' UIDs."""
    reports = session.exec(select(RadiationDoseReport).where(
        col(RadiationDoseReport.procedure_id).in_(procedure_ids))
        .order_by(col(RadiationDoseReport.id))).all()
    found: dict[int, list[str]] = {}
    for r in reports:
        found.setdefault(r.procedure_id, []).append(r.sop_instance_uid)
    return {pid: DoseSummary(report_values(session, pid), uids) for pid, uids in found.items()}
