"""The studies a session may read: a monitor's requests see the studies they monitor only.

A monitor (a sponsor's or a network's clinical research associate) is given studies on
the user's admin page (``study_monitor``); with none given, no study. At the start of a
monitor's request :func:`apply_study_scope` limits the request's session to those
studies. From then on every ORM SELECT of that session carries, for each entity in it,
a criterion that keeps the rows of those studies only (SQLAlchemy's
``with_loader_criteria``, its documented way to add a global filter):

* ``Study`` by its id, and every entity with a ``study_id`` by it;
* every entity with a ``patient_id`` by its patient's study;
* scores by their visit's patient, procedure details and dose reports by their
  procedure's patient, query steps by their query's patient.

So a patient, visit, query or audit trail of another study is not found (404), and the
lists, counts and searches leave it out, in the web screens and in the API alike.
Statements on plain tables are not ORM statements and carry no criterion: the visit and
enrollment tallies (clinic.scheduling.tally) add it themselves; the audit trail reads
the events of a study found through the ORM. Sites, users and record locks are not
study data and are not limited.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, exists, select
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel

from clinic.models import Assessment, DataQuery, Patient, Procedure, Study, StudyMonitor

SCOPE_KEY = "clinic.study_scope"  # session.info: the study ids the session may read


def monitored_study_ids(session: Session, user_id: int) -> list[int]:
    return list(session.execute(select(StudyMonitor.study_id)
                                .where(StudyMonitor.user_id == user_id)  # type: ignore[arg-type]
                                .order_by(StudyMonitor.study_id)).scalars())


def limit_to_studies(session: Session, study_ids: Iterable[int]) -> None:
    """From now on ``session`` reads the rows of these studies only."""
    session.info[SCOPE_KEY] = tuple(sorted(set(study_ids)))


def study_scope(session: Session) -> tuple[int, ...] | None:
    """The studies ``session`` is limited to; None: not limited."""
    return session.info.get(SCOPE_KEY)


def apply_study_scope(session: Session, user: Any) -> None:
    """Limit a monitor's request session to the monitor's studies."""
    if user.role == "monitor":
        limit_to_studies(session, monitored_study_ids(session, user.id))


def in_scope(session: Session, query: Any, study_id: Any) -> Any:
    """``query`` kept to the session's studies, for statements on plain tables whose
    ``study_id`` column is given."""
    ids = study_scope(session)
    return query if ids is None else query.where(study_id.in_(ids))


# The rows a criterion looks up, as plain aliased tables: an ORM entity there would get
# criteria of its own, and an unaliased one would correlate with the outer query's.
_PATIENT = Patient.__table__.alias("scope_patient")  # type: ignore[attr-defined]
_PARENTS = {"assessment_id": Assessment.__table__.alias("scope_visit"),  # type: ignore[attr-defined]
            "procedure_id": Procedure.__table__.alias("scope_procedure"),  # type: ignore[attr-defined]
            "query_id": DataQuery.__table__.alias("scope_query")}  # type: ignore[attr-defined]
_COLUMNS = ("study_id", "patient_id", *_PARENTS)


def _criterion(cls: Any, column: str, ids: tuple[int, ...]) -> Any:
    """The condition on ``cls`` that keeps the rows of studies ``ids``: a correlated
    EXISTS through the row's patient (one index lookup per row; ``IN (SELECT …)`` made
    SQLite build the list of every visit of the study for each statement)."""
    if column in ("id", "study_id"):
        return getattr(cls, column).in_(ids)
    if column == "patient_id":
        return exists().where(_PATIENT.c.id == cls.patient_id, _PATIENT.c.study_id.in_(ids))
    parent = _PARENTS[column]
    return exists().where(parent.c.id == getattr(cls, column),
                          _PATIENT.c.id == parent.c.patient_id, _PATIENT.c.study_id.in_(ids))


def _scoped_entities() -> list[tuple[type, str]]:
    """Each mapped class with the first of ``_COLUMNS`` it has (Study: its id)."""
    found: list[tuple[type, str]] = [(Study, "id")]
    for mapper in SQLModel._sa_registry.mappers:  # type: ignore[attr-defined]
        cls = mapper.class_
        if cls is Study or cls is StudyMonitor:
            continue
        column = next((name for name in _COLUMNS if name in mapper.columns), None)
        if column is not None:
            found.append((cls, column))
    return found


_ENTITIES: list[tuple[type, str]] | None = None


def _criteria(ids: tuple[int, ...]) -> list[Any]:
    global _ENTITIES
    if _ENTITIES is None:
        _ENTITIES = _scoped_entities()
    return [with_loader_criteria(cls, _criterion(cls, column, ids), include_aliases=True)
            for cls, column in _ENTITIES]


@event.listens_for(OrmSession, "do_orm_execute")
def _only_the_scoped_studies(state: ORMExecuteState) -> None:
    ids = state.session.info.get(SCOPE_KEY)
    if ids is None or not state.is_select or state.is_column_load \
            or state.is_relationship_load:
        return
    state.statement = state.statement.options(*_criteria(ids))
