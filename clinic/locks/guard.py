"""The lock guard: a ``before_flush`` listener that refuses any write to locked data.

Every write of clinical data goes through a flush, whatever path it came by (a screen,
the API, a CLI command, an import), so one check here covers them all. Each row about
to be written is placed with its patient (and visit), and one indexed query asks
whether the study, the patient or the visit is locked. A locked one raises
:class:`clinic.exceptions.LockedError` before anything reaches the database.

A lock set while a write is under way cannot let the write through:

* On PostgreSQL the guard first takes a shared transaction-level advisory lock on each
  target (:func:`hold_targets`), and setting a lock takes the exclusive one
  (:func:`clinic.locks.service.lock_study` and the others). Whichever comes second
  waits for the other's commit: a write that came first is committed before the lock
  is set; a lock that came first is seen by the guard's query, which starts after the
  wait (each statement reads what is committed when it starts). The advisory locks and
  the query go in one pipeline, as two statements: one round trip, the same order.
* On SQLite one transaction writes at a time: the guard takes the write lock before
  its query, and so does setting a lock.

So a target found unlocked stays unlocked until the transaction ends, and the guard
asks about each target once per transaction (``session.info``), not at every flush; a
lock set by the same transaction forgets what was asked. Rows created in this
transaction (a new patient, the visits just scheduled) cannot be locked by anyone
else yet: they are not asked about at all.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import any_, event, exists, select
from sqlalchemy.orm import Session

from clinic.exceptions import LockedError
from clinic.models import (
    Assessment,
    DataQuery,
    DataQueryStep,
    DoseEvent,
    Injectate,
    Medication,
    Patient,
    PatientIdentity,
    Procedure,
    ProcedureTarget,
    RadiationDoseReport,
    RecordLock,
    Score,
    ScoreSection,
    Screening,
    ScreeningAnswer,
    Signature,
    StudyTimepoint,
    User,
)
from clinic.models.base import Audited
from clinic.pipeline import pipelined

# locks themselves, staff accounts, signatures (signing locked data is the point), data
# queries (a monitor questions locked data; answering it by a correction is refused),
# and the patient's contact data: not study data, and reminders need a new phone number
NOT_CLINICAL = (RecordLock, User, Signature, PatientIdentity, DataQuery, DataQueryStep)
LEVEL_WORDS = {"visit": "This visit", "patient": "This patient's record",
               "study": "The study's database"}


ADVISORY_SPACE = 0x6C6F636B  # "lock": the first key of the guard's advisory locks
_UNLOCKED = "clinic.locks.unlocked"  # targets found unlocked in this transaction
_CREATED = "clinic.locks.created"  # targets of rows created in this transaction


def install_lock_guard() -> None:
    if not event.contains(Session, "before_flush", _refuse_locked):
        event.listen(Session, "before_flush", _refuse_locked)
        event.listen(Session, "after_flush", _note_created)
        event.listen(Session, "after_transaction_end", _forget_at_the_end)


def _refuse_locked(session: Session, _context: Any, _instances: Any) -> None:
    if any(isinstance(obj, RecordLock) for obj in session.new):
        _forget(session)  # a lock set in this transaction: ask again
    refuse_if_locked(session, _written(session))


def refuse_if_locked(session: Session, objs: list[Any]) -> None:
    """The guard's check for writes no flush sees: Core UPDATEs of ``objs`` (loaded
    records), and rows inserted by Core that belong to them (a visit's scores)."""
    targets = targets_to_ask(session, objs)
    if not targets:
        return
    with session.no_autoflush:
        if not _held_and_unlocked(session, targets):
            _refuse(session, targets)
    note_unlocked(session, targets)


def targets_to_ask(session: Session, objs: list[Any]) -> set[str]:
    """The study, patient and visit of ``objs`` that this transaction has not found
    unlocked yet and did not create (``level:number``)."""
    places = [place for obj in objs if (place := _place(session, obj))]
    if not places:
        return set()
    targets = {f"study:{study}" for study, _p, _v in places}
    targets |= {f"patient:{patient}" for _s, patient, _v in places if patient}
    targets |= {f"visit:{visit}" for _s, _p, visit in places if visit}
    unlocked = session.info.get(_UNLOCKED, set())
    created = session.info.get(_CREATED, set())  # both grow with a long transaction:
    return {t for t in targets if t not in unlocked and t not in created}  # no union


def note_unlocked(session: Session, targets: set[str]) -> None:
    """``targets`` were found unlocked, their advisory locks held: not asked again in
    this transaction."""
    session.info.setdefault(_UNLOCKED, set()).update(targets)


def advisory_hold(targets: set[str], *, exclusive: bool = False) -> tuple[str, dict[str, Any]]:
    """PostgreSQL's statement holding the advisory locks of ``targets`` (shared, or
    ``exclusive``), in the driver's own form (SQL and parameters): for
    :func:`hold_targets`, and for a pipeline of statements (clinic.pipeline) whose next
    ones must come after the wait."""
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    return (f"SELECT {function}({ADVISORY_SPACE}, k) "
            "FROM unnest(%(keys)s::integer[]) AS k", {"keys": _keys(targets)})


def unlocked_condition(targets: Any) -> Any:
    """A WHERE condition true when none of ``targets`` (a bound array) is locked: for
    a statement that comes after the targets' advisory locks are held (it reads what
    is committed when it starts, after the wait)."""
    return ~exists().where(RecordLock.target == any_(targets))  # type: ignore[arg-type]


def _held_and_unlocked(session: Session, targets: set[str]) -> bool:
    """Hold ``targets`` (:func:`hold_targets`), then ask whether any is locked; on
    PostgreSQL both in one round trip (a pipeline: clinic.pipeline). Each statement
    reads what is committed when it starts, so the question still comes after the
    wait."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        hold_targets(session, targets, exclusive=False)
        found = connection.execute(select(RecordLock.id).where(
            RecordLock.target.in_(sorted(targets))).limit(1)).first()  # type: ignore[attr-defined]
        return found is None
    _held, found = pipelined(connection, [
        advisory_hold(targets),
        ("SELECT 1 FROM record_lock WHERE target = ANY(%(targets)s) LIMIT 1",
         {"targets": sorted(targets)})])
    return not found


def _refuse(session: Session, targets: set[str]) -> None:
    """The lock found, named in the refusal (a statement more, for a refused write;
    none if it was lifted since: unlocking waits for no write)."""
    locks = session.execute(select(RecordLock.level, RecordLock.locked_at, User.name,
                                   RecordLock.target)
                            .outerjoin(User, User.id == RecordLock.locked_by_id)
                            .where(RecordLock.target.in_(sorted(targets)))  # type: ignore[attr-defined]
                            .order_by(RecordLock.id)).all()
    if not locks:
        return
    level, locked_at, name, target = locks[0]
    raise LockedError(f"{LEVEL_WORDS[level]}{_named(session, target)} is locked (since "
                      f"{_clinic_time(locked_at)}, by {name or 'the system'}): nothing "
                      "was saved. Ask a coordinator to unlock it, with a reason.")


def hold_targets(session: Session, targets: set[str], *, exclusive: bool) -> None:
    """Until the transaction ends, hold what keeps ``targets`` from being locked (a
    write) or written (setting a lock) by another transaction:

    * PostgreSQL: the targets' advisory locks, shared or exclusive; sorted, so that two
      transactions never wait for each other in a circle;
    * SQLite: the database's write lock (``BEGIN IMMEDIATE``), unless this transaction
      holds it already (a write request takes it when it begins; elsewhere the driver
      would read outside the transaction and begin one only at the first write).
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        if not connection.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    connection.exec_driver_sql(*advisory_hold(targets, exclusive=exclusive))


def _keys(targets: set[str]) -> list[int]:
    """The targets' advisory lock keys (signed int4), sorted: two transactions never
    wait for each other in a circle."""
    return sorted({zlib.crc32(t.encode()) - (1 << 31) for t in targets})


def _note_created(session: Session, _context: Any) -> None:
    created = session.info.setdefault(_CREATED, set())
    for obj in session.new:
        if isinstance(obj, Patient):
            created.add(f"patient:{obj.id}")
        elif isinstance(obj, Assessment):
            created.add(f"visit:{obj.id}")


def _forget_at_the_end(session: Session, transaction: Any) -> None:
    """At the transaction's end, or a savepoint's (a flush's own inner transaction is
    neither)."""
    if transaction.parent is None or transaction.nested:
        _forget(session)


def _forget(session: Session) -> None:
    session.info.pop(_UNLOCKED, None)
    session.info.pop(_CREATED, None)


def _named(session: Session, target: str) -> str:
    """' (DEMO-0008)' or ' (DEMO-0008, 1 month)': which patient a patient or visit lock
    holds, for a write that touched several (an amendment re-planning a whole study)."""
    level, _sep, key = target.partition(":")
    if level == "patient":
        code = session.execute(select(Patient.study_code).where(Patient.id == int(key))).scalar()
        return f" ({code})" if code else ""
    if level == "visit":
        row = session.execute(select(Patient.study_code, StudyTimepoint.label)
                              .join(Assessment, Assessment.patient_id == Patient.id)
                              .join(StudyTimepoint, StudyTimepoint.id == Assessment.timepoint_id)
                              .where(Assessment.id == int(key))).first()
        return f" ({row[0]}, {row[1]})" if row else ""
    return ""


def _clinic_time(moment: datetime) -> str:
    """The lock's time in the clinic's zone when the app is at hand (screens, API, CLI),
    in UTC otherwise."""
    from flask import current_app, has_app_context

    if has_app_context():
        zone = ZoneInfo(current_app.config["TIMEZONE"])
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _written(session: Session) -> list[Any]:
    changed = [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    return [o for o in (*session.new, *changed, *session.deleted)
            if isinstance(o, Audited) and not isinstance(o, NOT_CLINICAL)]


def _place(session: Session, obj: Any) -> tuple[int, int | None, int | None] | None:
    """(study id, patient id, visit id) of a row about to be written; None where it is
    not known yet (a section whose new score is written in the same flush)."""
    with session.no_autoflush:
        if isinstance(obj, Patient):
            return obj.study_id, obj.id, None
        if isinstance(obj, Screening):
            return obj.study_id, obj.patient_id, None
        if isinstance(obj, ScreeningAnswer):
            return _of(session, Screening, obj.screening_id, _place)
        if isinstance(obj, Assessment):
            return _patient_place(session, obj.patient_id, obj.id)
        if isinstance(obj, Score | Medication):
            return _of(session, Assessment, obj.assessment_id, _place)
        if isinstance(obj, ScoreSection):
            return _of(session, Score, obj.score_id, _place)
        if isinstance(obj, ProcedureTarget | Injectate | RadiationDoseReport | DoseEvent):
            return _of(session, Procedure, obj.procedure_id, _place)
        if hasattr(obj, "patient_id"):  # procedure, enrolment, root laterality, event
            return _patient_place(session, obj.patient_id, None)
        study_id = getattr(obj, "study_id", None)  # a protocol amendment
        return (study_id, None, None) if study_id is not None else None


def _of(session: Session, model: Any, key: int | None, place: Any) -> Any:
    parent = session.get(model, key) if key is not None else None
    return place(session, parent) if parent is not None else None


def _patient_place(session: Session, patient_id: int | None,
                   visit_id: int | None) -> tuple[int, int | None, int | None] | None:
    patient = session.get(Patient, patient_id) if patient_id is not None else None
    return (patient.study_id, patient_id, visit_id) if patient is not None else None  # type: ignore[return-value]
