"""How the demo generator's patients reach the database: the steps it takes for each.

The generator (clinic.demo.seed) decides what happens to each candidate and draws
every value; a *writer* stores it. :class:`ServiceWriter` calls, step by step, the
services the screens call (screening, enrollment with the concealed allocation, the
procedure and its schedule, each follow-up): it is the reference. The batch writer
(clinic.demo.batch) stores the same rows and audit events in a few statements per
table; tests/demo/test_batch.py compares the two databases whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlmodel import Session, select

from clinic.enrollment.inputs import IdentityInput, PatientInput
from clinic.enrollment.service import enroll, screen, withdraw
from clinic.followup.service import mark_not_done, measures_at, record_follow_up
from clinic.models import AllocationSlot, Assessment, Patient, Study
from clinic.procedures.inputs import ProcedureInput
from clinic.procedures.service import record_procedure
from clinic.safety.service import record_adverse_event


@dataclass
class Enrolled:
    """An enrolled patient as the generator sees it; ``ref`` is the writer's own handle."""

    arm_id: int
    stratum: str
    slot_position: int
    ref: Any


@dataclass
class Visit:
    """A planned follow-up as the generator reads it; ``ref``: the writer's handle."""

    timepoint_id: int
    target_date: date
    window_open: date
    window_close: date
    ref: Any


class DemoWriter(Protocol):
    def screen(self, site_id: int, answers: dict[str, bool], actor_id: int,
               screened_at: datetime) -> Any | None:
        """The screening's handle when the candidate is eligible, else None."""

    def enroll(self, screening: Any, patient: PatientInput, identity: IdentityInput,
               factors: dict[str, int], enrolled_on: date, actor_id: int,
               randomized_at: datetime) -> Enrolled: ...

    def procedure(self, enrolled: Enrolled, data: ProcedureInput) -> Any: ...

    def visits(self, enrolled: Enrolled) -> list[Visit]:
        """The patient's follow-ups, in the order of their target dates."""

    def measures(self, visit: Visit) -> list[str]: ...

    def complete(self, visit: Visit, entries: dict[str, Any], mode: str, actor_id: int,
                 collected_at: datetime) -> None: ...

    def not_done(self, visit: Visit, reason: str, actor_id: int) -> None: ...

    def adverse_event(self, enrolled: Enrolled, event_type: str, onset_on: date,
                      procedure: Any) -> None: ...

    def withdraw(self, enrolled: Enrolled, reason: str, actor_id: int) -> None: ...

    def finish(self) -> None:
        """Store whatever is still held (the caller commits)."""


class ServiceWriter:
    """Every step through the clinic's services, one patient at a time."""

    def __init__(self, session: Session, study: Study, timezone: str) -> None:
        self.session, self.study, self.timezone = session, study, timezone

    def screen(self, site_id: int, answers: dict[str, bool], actor_id: int,
               screened_at: datetime) -> Any | None:
        screening, problems = screen(self.session, study=self.study, site_id=site_id,
                                     answers=answers, actor_id=actor_id,  # type: ignore[arg-type]
                                     screened_at=screened_at)
        return None if problems else screening

    def enroll(self, screening: Any, patient: PatientInput, identity: IdentityInput,
               factors: dict[str, int], enrolled_on: date, actor_id: int,
               randomized_at: datetime) -> Enrolled:
        enrollment = enroll(self.session, study=self.study, screening=screening,
                            patient=patient, identity=identity, factors=factors,
                            enrolled_on=enrolled_on, actor_id=actor_id,
                            randomized_at=randomized_at)
        slot = self.session.get(AllocationSlot, enrollment.allocation_slot_id)
        assert slot is not None and enrollment.arm_id is not None
        return Enrolled(enrollment.arm_id, enrollment.stratum, slot.position, enrollment)

    def procedure(self, enrolled: Enrolled, data: ProcedureInput) -> Any:
        return record_procedure(self.session, patient=self._patient(enrolled), data=data,
                                timezone=self.timezone)

    def visits(self, enrolled: Enrolled) -> list[Visit]:
        rows = self.session.exec(select(Assessment)
                                 .where(Assessment.patient_id == enrolled.ref.patient_id)
                                 .order_by(Assessment.target_date)).all()
        return [Visit(a.timepoint_id, a.target_date, a.window_open, a.window_close, a)
                for a in rows]

    def measures(self, visit: Visit) -> list[str]:
        return measures_at(self.session, visit.ref)

    def complete(self, visit: Visit, entries: dict[str, Any], mode: str, actor_id: int,
                 collected_at: datetime) -> None:
        record_follow_up(self.session, assessment=visit.ref, entries=entries, mode=mode,
                         actor_id=actor_id, collected_at=collected_at)

    def not_done(self, visit: Visit, reason: str, actor_id: int) -> None:
        mark_not_done(self.session, assessment=visit.ref, reason=reason, actor_id=actor_id)

    def adverse_event(self, enrolled: Enrolled, event_type: str, onset_on: date,
                      procedure: Any) -> None:
        record_adverse_event(self.session, patient=self._patient(enrolled),
                             event_type=event_type, onset_on=onset_on, severity="moderate",
                             procedure_id=procedure.id)

    def withdraw(self, enrolled: Enrolled, reason: str, actor_id: int) -> None:
        withdraw(self.session, enrollment=enrolled.ref, reason=reason, actor_id=actor_id)

    def finish(self) -> None:
        return None

    def _patient(self, enrolled: Enrolled) -> Patient:
        patient = self.session.get(Patient, enrolled.ref.patient_id)
        assert patient is not None
        return patient
