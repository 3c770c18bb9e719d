"""Correct a recorded procedure: every field, with a reason and a version check.

The procedure row's own fields change in place (one audit event per changed field).
Targets and injectates are replaced as a whole when they differ, so their audit
events are a "deleted" snapshot of the old rows and a "created" one of the new rows,
each naming the procedure as their parent (see ``clinic.models.base.Audited``).
The operator stays who performed the procedure; a changed date re-plans the pending
follow-ups as :func:`clinic.procedures.service.reschedule_procedure` does.
"""

from __future__ import annotations

from sqlmodel import Session, select

from clinic.audit import set_actor
from clinic.edits import claim, require_reason
from clinic.enrollment.groups import assign_registry_group
from clinic.exceptions import ValidationError
from clinic.models import Injectate, Patient, Procedure, ProcedureTarget
from clinic.procedures.checks import (
    check_planned_values,
    check_procedure_day,
    procedure_checks,
)
from clinic.procedures.inputs import (
    InjectateInput,
    ProcedureInput,
    TargetInput,
    validate_procedure,
)
from clinic.procedures.service import add_injectates, add_targets
from clinic.queries.rules import run_rules_on_save
from clinic.queries.service import relabel_queries
from clinic.scheduling.service import schedule_from_procedure

KEPT_ON_CORRECTION = frozenset({"operator_id"})


def recorded_input(session: Session, procedure: Procedure) -> ProcedureInput:
    """The procedure as recorded, in the shape the forms and the service use."""
    targets, injectates = _children(session, procedure)
    columns = {name: getattr(procedure, name)
               for name in ProcedureInput.__dataclass_fields__
               if name not in {"targets", "injectates", "extra"}}
    return ProcedureInput(**columns,
                          targets=tuple(TargetInput(t.level, t.side) for t in targets),
                          injectates=tuple(InjectateInput(i.drug, i.concentration_pct,
                                                          i.volume_ml, i.dose_mg)
                                           for i in injectates))


def settled_checks(session: Session, patient: Patient, procedure: Procedure | None, *,
                   timezone: str) -> list[str]:
    """What the procedure's recorded values raise: its warnings, and its deviations when
    a reason was given for them. They were confirmed when those values were saved, so a
    correction that leaves their cause as it was does not ask about them again; one that
    changes it raises a warning worded otherwise (the values are in its words), asked
    anew (see :func:`clinic.procedures.checks.confirmation_errors`). None (a procedure
    being entered): nothing."""
    if procedure is None:
        return []
    recorded = recorded_input(session, procedure)
    warnings, deviations = procedure_checks(session, patient, recorded, timezone=timezone,
                                            correcting=procedure.id)
    return [*(deviations if recorded.deviation_reason else []), *warnings]


def correct_procedure(session: Session, *, patient: Patient, procedure: Procedure,
                      data: ProcedureInput, read_version: int | None, reason: str | None,
                      actor_id: int | None, timezone: str,
                      confirmed: str | None = None) -> list[str]:
    """Apply ``data`` to ``procedure``; returns the names of what changed. ``confirmed``:
    the warnings the correction was confirmed over (``checks.confirmed_words``), kept in
    the audit with its reason.

    ValidationError (nothing changed, no reason, invalid values) and ConflictError
    (someone else saved since ``read_version``) leave the database untouched.
    """
    text = require_reason(reason)
    validate_procedure(data)
    set_actor(session, actor_id, text if confirmed is None else f"{text}. {confirmed}")
    claim(session, procedure, read_version)  # a stale form is a conflict first
    before = recorded_input(session, procedure)
    new_columns = {k: v for k, v in data.column_values().items() if k not in KEPT_ON_CORRECTION}
    changed = [k for k, v in new_columns.items() if getattr(before, k) != v]
    replace_targets = before.targets != data.targets
    replace_injectates = before.injectates != data.injectates
    if not changed and not replace_targets and not replace_injectates:
        raise ValidationError({"reason": "Nothing was changed."})
    if "performed_at" in changed:
        check_procedure_day(session, patient, data.performed_at, timezone, procedure.id)
    check_planned_values(data, timezone)
    for name in changed:
        setattr(procedure, name, new_columns[name])
    session.add(procedure)
    old_targets, old_injectates = _children(session, procedure)
    if replace_targets:
        _delete(session, old_targets)
        add_targets(session, procedure, data.targets)
    if replace_injectates:
        _delete(session, old_injectates)
        add_injectates(session, procedure, data.injectates)
    session.flush()
    if "performed_at" in changed:
        relabel_queries(session, "procedure", procedure.id)  # type: ignore[arg-type]
        schedule_from_procedure(session, patient=patient, procedure=procedure, timezone=timezone)
    if {"performed_at", "modality"} & set(changed):
        assign_registry_group(session, patient)
    run_rules_on_save(session, patient.id, "procedure")  # type: ignore[arg-type]
    return changed + ["targets"] * replace_targets + ["injectates"] * replace_injectates


def _children(session: Session, procedure: Procedure
              ) -> tuple[list[ProcedureTarget], list[Injectate]]:
    targets = session.exec(select(ProcedureTarget).where(
        ProcedureTarget.procedure_id == procedure.id).order_by(ProcedureTarget.id)).all()
    injectates = session.exec(select(Injectate).where(
        Injectate.procedure_id == procedure.id).order_by(Injectate.id)).all()
    return list(targets), list(injectates)


def _delete(session: Session, rows: list[ProcedureTarget] | list[Injectate]) -> None:
    """Delete and flush first, so the replacement rows are inserted after."""
    for row in rows:
        session.delete(row)
    session.flush()
