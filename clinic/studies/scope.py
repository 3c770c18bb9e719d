"""The studies a session may read: a monitor's requests see the studies they monitor only.

A monitor (a sponsor's or a network's clinical research associate) is given studies on
the user's admin page (``study_monitor``); with none given, no study. At the start of a
monitor's request :func:`apply_study_scope` limits the request's session to those
studies. From then on every ORM SELECT of that session carries, for each entity in it,
a criterion that keeps the rows of those studies only (SQLAlchemy's
``with_loader_criteria``, its documented way to add a global filter):

* ``Study`` by its id, and every entity with a ``study_id`` by it;
* every entity with a ``patient_id`` by its patient's study;
* scores by their visit's patient, questionnaire sections by their score's, procedure
  details and dose reports by their procedure's patient, query steps by their query's
  patient, screening answers by their screening's study.

So a patient, visit, query or audit trail of another study is not found (404), and the
lists, counts and searches leave it out, in the web screens and in the API alike.
Statements on plain tables are not ORM statements and carry no criterion: the visit and
enrollment tallies (clinic.scheduling.tally) add it themselves; the audit trail reads
the events of a study found through the ORM. Sites, users and record locks are not
study data and are not limited; neither are reminder delivery attempts, digests and
form drafts, which no monitor's route reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from sqlalchemy import event, exists, select
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel

from clinic.models import (
    Assessment,
    DataQuery,
    Patient,
    Procedure,
    Score,
    Screening,
    Study,
    StudyMonitor,
)

SCOPE_KEY = "clinic.study_scope"  # session.info: the study ids the session may read
_OPTIONS = "clinic.study_scope_options"  # session.info: (ids, their loader criteria)


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
_VISIT = Assessment.__table__.alias("scope_visit")  # type: ignore[attr-defined]
_PROCEDURE = Procedure.__table__.alias("scope_procedure")  # type: ignore[attr-defined]
_QUERY = DataQuery.__table__.alias("scope_query")  # type: ignore[attr-defined]
_SCORE = Score.__table__.alias("scope_score")  # type: ignore[attr-defined]
_SCREENING = Screening.__table__.alias("scope_screening")  # type: ignore[attr-defined]


def _criterion(column: str, ids: tuple[int, ...]) -> Callable[[Any], Any]:
    """The condition on an entity with ``column`` that keeps the rows of studies ``ids``,
    as a lambda (SQLAlchemy caches the statement it makes; ``ids`` is a bound value): the
    column itself, or a correlated EXISTS through the row's patient (one index lookup per
    row; ``IN (SELECT …)`` had SQLite list the study's rows for each statement: the scores
    of one visit took 189 ms instead of 0.01 ms at 200,000 patients)."""
    p = _PATIENT
    criteria: dict[str, Callable[[Any], Any]] = {
        "id": lambda c: c.id.in_(ids),
        "study_id": lambda c: c.study_id.in_(ids),
        "patient_id": lambda c: exists().where(p.c.id == c.patient_id, p.c.study_id.in_(ids)),
        "assessment_id": lambda c: exists().where(
            _VISIT.c.id == c.assessment_id, p.c.id == _VISIT.c.patient_id,
            p.c.study_id.in_(ids)),
        "procedure_id": lambda c: exists().where(
            _PROCEDURE.c.id == c.procedure_id, p.c.id == _PROCEDURE.c.patient_id,
            p.c.study_id.in_(ids)),
        "query_id": lambda c: exists().where(
            _QUERY.c.id == c.query_id, p.c.id == _QUERY.c.patient_id, p.c.study_id.in_(ids)),
        "score_id": lambda c: exists().where(
            _SCORE.c.id == c.score_id, _VISIT.c.id == _SCORE.c.assessment_id,
            p.c.id == _VISIT.c.patient_id, p.c.study_id.in_(ids)),
        "screening_id": lambda c: exists().where(
            _SCREENING.c.id == c.screening_id, _SCREENING.c.study_id.in_(ids)),
    }
    return criteria[column]


_COLUMNS = ("study_id", "patient_id", "assessment_id", "procedure_id", "query_id", "score_id",
            "screening_id")


@cache
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


def _criteria(ids: tuple[int, ...]) -> list[Any]:
    return [with_loader_criteria(cls, _criterion(column, ids), include_aliases=True)
            for cls, column in _scoped_entities()]


@event.listens_for(OrmSession, "do_orm_execute")
def _only_the_scoped_studies(state: ORMExecuteState) -> None:
    ids = state.session.info.get(SCOPE_KEY)
    if ids is None or not state.is_select or state.is_column_load \
            or state.is_relationship_load:
        return
    options = state.session.info.get(_OPTIONS)
    if options is None or options[0] != ids:  # made once per scope
        options = state.session.info[_OPTIONS] = (ids, _criteria(ids))
    state.statement = state.statement.options(*options[1])
