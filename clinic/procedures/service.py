"""Record and change procedures; the follow-up schedule follows the procedure date."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from clinic.audit import insert_audited, set_actor
from clinic.edits import claim, require_reason
from clinic.enrollment.groups import assign_registry_group
from clinic.exceptions import ValidationError
from clinic.models import Injectate, Patient, Procedure, ProcedureTarget
from clinic.procedures.checks import check_planned_values, check_procedure_day
from clinic.procedures.inputs import (
    InjectateInput,
    ProcedureInput,
    TargetInput,
    performed_at_problem,
    validate_procedure,
)
from clinic.queries.rules import run_rules_on_save
from clinic.queries.service import relabel_queries
from clinic.scheduling.service import schedule_from_procedure


def record_procedure(session: Session, *, patient: Patient, data: ProcedureInput,
                     timezone: str) -> Procedure:
    validate_procedure(data)
    check_procedure_day(session, patient, data.performed_at, timezone)
    check_planned_values(data, timezone)
    procedure = Procedure(patient_id=patient.id, **data.column_values())  # type: ignore[arg-type]
    session.add(procedure)
    session.flush()
    add_targets(session, procedure, data.targets)
    add_injectates(session, procedure, data.injectates)
    session.flush()
    schedule_from_procedure(session, patient=patient, procedure=procedure, timezone=timezone)
    assign_registry_group(session, patient)
    run_rules_on_save(session, patient.id, "procedure")  # type: ignore[arg-type]
    return procedure


def move_procedure(session: Session, *, patient: Patient, procedure: Procedure,
                   performed_at: object, timezone: str) -> Procedure:
    """Change the procedure's date: pending follow-ups move, recorded ones stay."""
    if not isinstance(performed_at, datetime):
        raise ValidationError({"performed_at": "Give the date and time with its time zone."})
    problem = performed_at_problem(performed_at, date.today())
    if problem:
        raise ValidationError({"performed_at": problem})
    check_procedure_day(session, patient, performed_at, timezone, procedure.id)
    procedure.performed_at = performed_at
    procedure.version += 1
    session.add(procedure)
    session.flush()
    relabel_queries(session, "procedure", procedure.id)  # type: ignore[arg-type]
    schedule_from_procedure(session, patient=patient, procedure=procedure, timezone=timezone)
    return procedure


def reschedule_procedure(session: Session, *, patient: Patient, procedure: Procedure,
                         performed_at: datetime | None, read_version: int | None,
                         reason: str | None, actor_id: int | None,
                         timezone: str) -> Procedure:
    """Correct the procedure's date and time, with a reason and a version check.

    Pending follow-ups (and their reminders) are re-planned on the new date;
    completed and not-done ones keep theirs.
    """
    text = require_reason(reason)
    if performed_at is None:
        raise ValidationError({"performed_at": "Give the date and time with its time zone."})
    problem = performed_at_problem(performed_at, date.today())
    if problem:
        raise ValidationError({"performed_at": problem})
    set_actor(session, actor_id, text)
    claim(session, procedure, read_version)  # a stale form is a conflict first
    if performed_at == procedure.performed_at:
        raise ValidationError({"performed_at": "That is the date and time already recorded: "
                                               "nothing was changed."})
    check_procedure_day(session, patient, performed_at, timezone, procedure.id)
    procedure.performed_at = performed_at
    session.add(procedure)
    session.flush()
    relabel_queries(session, "procedure", procedure.id)  # type: ignore[arg-type]
    schedule_from_procedure(session, patient=patient, procedure=procedure, timezone=timezone)
    assign_registry_group(session, patient)
    run_rules_on_save(session, patient.id, "procedure")  # type: ignore[arg-type]
    return procedure


def add_targets(session: Session, procedure: Procedure,
                targets: tuple[TargetInput, ...]) -> None:
    insert_audited(session, ProcedureTarget,
                   [{"procedure_id": procedure.id, "level": t.level, "side": t.side}
                    for t in targets], key=("level", "side"))


def add_injectates(session: Session, procedure: Procedure,
                   injectates: tuple[InjectateInput, ...]) -> None:
    insert_audited(session, Injectate,
                   [{"procedure_id": procedure.id, "target_id": None, "drug": i.drug,
                     "concentration_pct": i.concentration_pct, "volume_ml": i.volume_ml,
                     "dose_mg": i.dose_mg} for i in injectates],
                   key=("drug", "concentration_pct", "volume_ml", "dose_mg"))
