"""Record the scores of a follow-up, or mark it not done; one audited change each."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from clinic.audit import audit_updated, insert_audited_family
from clinic.edits import MIN_REASON_LENGTH, REASON_MAX, claim
from clinic.exceptions import ValidationError
from clinic.followup.completion import take_at_once
from clinic.followup.scores import ScoredValue, StoredScore, parse_mode, score_entries
from clinic.locks.guard import refuse_if_locked
from clinic.models import (
    Assessment,
    Enrollment,
    Patient,
    Score,
    ScoreSection,
    Study,
    StudyMeasure,
    StudyTimepoint,
)
from clinic.models.base import utcnow
from clinic.models.values import check_rows
from clinic.protocol.measures import MeasureRule, instruments_at
from clinic.reminders.planning import cancel_for_recorded


def measures_at(session: Session, assessment: Assessment) -> list[str]:
    """The instruments the study collects at this assessment (its timepoint, the patient's
    stratum, and, once recorded, the protocol as it stood then)."""
    code, rules, _timepoint = _protocol_at(session, assessment.timepoint_id)  # type: ignore[arg-type]
    stratum = None
    if any(rule.strata for rule in rules):
        stratum = session.exec(select(Enrollment.stratum).where(
            Enrollment.patient_id == assessment.patient_id)).first()
    recorded = assessment.completed_at if assessment.state != "pending" else None
    return instruments_at(rules, code, stratum, recorded)


def _protocol_at(session: Session,
                 timepoint_id: int) -> tuple[str, list[MeasureRule], StudyTimepoint]:
    """A timepoint's code and its study's measure rules, read once per transaction (a
    save asks three times); forgotten when the transaction ends or a flush writes a
    timepoint or a measure. Holding the timepoint keeps it in the session's identity map
    for the other readers of the request."""
    cache = session.info.setdefault(_PROTOCOL_CACHE, {})
    if timepoint_id not in cache:
        timepoint = session.get(StudyTimepoint, timepoint_id)
        assert timepoint is not None
        cache[timepoint_id] = (timepoint.code, _measure_rules(session, timepoint.study_id),
                               timepoint)
    return cache[timepoint_id]


def note_measures_revision(session: Session, study_id: int, revision: int) -> None:
    """The study's ``measures_revision`` as this transaction read it (with the visit, in
    the follow-up's first query): the rules this process keeps under that revision are
    the study's rules, without asking the database again."""
    session.info.setdefault(_REVISIONS, {})[study_id] = revision


def _measure_rules(session: Session, study_id: int) -> list[MeasureRule]:
    """The study's measure rules: this process's copy, where the transaction read the
    revision it was kept under (in the same database); else from the database, with
    their revision, in one query (kept for the next request)."""
    key = (session.get_bind().url, study_id)
    kept = _KEPT_RULES.get(key)
    if kept is not None and session.info.get(_REVISIONS, {}).get(study_id) == kept[0]:
        return kept[1]
    rows = session.execute(_MEASURE_RULES, {"study_id": study_id}).all()
    rules = [MeasureRule(*row[1:]) for row in rows if row[1] is not None]
    if rows:
        _KEPT_RULES[key] = (rows[0][0], rules)
    return rules


_PROTOCOL_CACHE = "clinic.protocol_at"
_REVISIONS = "clinic.measures_revision"
# (database, study id) -> (its measures_revision, its rules): this process's, for every
# request (a revision is drawn at random by the database at each change of the measures)
_KEPT_RULES: dict[tuple[Any, int], tuple[int, list[MeasureRule]]] = {}
_MEASURE_RULES = (select(Study.measures_revision, StudyMeasure.instrument,  # type: ignore[call-overload]
                         StudyMeasure.timepoint_codes, StudyMeasure.strata,
                         StudyMeasure.added_at)
                  .select_from(Study)
                  .outerjoin(StudyMeasure, col(StudyMeasure.study_id) == col(Study.id))
                  .where(Study.id == bindparam("study_id"))
                  .order_by(StudyMeasure.position))  # columns, not entities: a rule each


def _forget_protocol(session: Session) -> None:
    session.info.pop(_PROTOCOL_CACHE, None)
    session.info.pop(_REVISIONS, None)


def _forget_at_the_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # not a savepoint's end
        _forget_protocol(session)


def _forget_changed_protocol(session: Session, _context: Any) -> None:
    """A flush that writes a measure or a timepoint: the transaction's copy and the
    revisions it read are forgotten (its own change raised the revision in the
    database, not the one it read)."""
    if (_PROTOCOL_CACHE in session.info or _REVISIONS in session.info) and any(
            isinstance(obj, StudyMeasure | StudyTimepoint)
            for obj in (*session.new, *session.dirty, *session.deleted)):
        _forget_protocol(session)


event.listen(OrmSession, "after_transaction_end", _forget_at_the_end)
event.listen(OrmSession, "after_flush", _forget_changed_protocol)


def record_follow_up(session: Session, *, assessment: Assessment, entries: dict[str, Any],
                     mode: str, actor_id: int | None,
                     collected_at: datetime | None = None, visit_on: date | None = None,
                     read_version: int | None = None) -> list[StoredScore]:
    """Validate everything first; then store scores and complete the assessment.

    ``collected_at`` is when the visit took place, if it is entered afterwards.
    ``read_version``: the version the form was read at (a ConflictError if another
    save came first); None: the version loaded.
    """
    if assessment.state == "not_done":
        raise ValidationError({"assessment": "This follow-up is marked not done: reopen it "
                                             "first (on its page), then enter the scores."})
    if assessment.state != "pending":
        raise ValidationError({"assessment": "This follow-up is already recorded."})
    errors: dict[str, str] = {}  # the mode and every score, named together
    try:
        mode = parse_mode(mode)
    except ValidationError as error:
        errors |= error.errors
    entries = filled_entries(entries)
    scored: list[ScoredValue] = []
    if not entries:
        errors["entries"] = "Enter at least one score, or mark it not done."
    else:
        try:
            scored = score_entries(entries, set(measures_at(session, assessment)))
        except ValidationError as error:
            errors |= error.errors
    if errors:
        raise ValidationError(errors)
    now = collected_at or utcnow()
    values = completed_values(now, visit_on, actor_id, mode)
    taken = _take(session, assessment, values, read_version)
    rows = _store(session, assessment.id, scored, mode, actor_id, now)  # type: ignore[arg-type]
    _closed(session, assessment, taken, values)
    return rows


def _take(session: Session, assessment: Assessment, values: dict[str, Any],
          read_version: int | None) -> tuple[dict[str, Any], bool]:
    """Complete the visit, or mark it not done, before anything else is written: the
    lock guard, then one UPDATE that checks and raises its version and sets ``values``
    (a second save of the same visit waits for this one's row lock, then finds the
    version changed: a conflict, not a duplicate score). Returns what the UPDATE
    changed, as it was, for :func:`_closed`, and whether the visit's reminders were
    cancelled with it: on PostgreSQL the guard, the UPDATE and the cancellation take one
    round trip (clinic.followup.completion); elsewhere, or where that path declines,
    one after the other. (Through the unit of work it was a flush and an UPDATE more,
    for the same rows and events.)"""
    before = {key: getattr(assessment, key) for key in ("id", "patient_id", *values)}
    version = assessment.version if read_version is None else read_version
    if take_at_once(session, assessment, version, values):
        return before, True
    refuse_if_locked(session, [assessment])  # the visit, and the scores it will hold
    check_rows(Assessment, [values])
    claim(session, assessment, version, values)
    return before, False


def _closed(session: Session, assessment: Assessment, taken: tuple[dict[str, Any], bool],
            values: dict[str, Any]) -> None:
    """The visit's audit events, in one INSERT with its new scores', and its pending
    reminder and messages cancelled (unless they were with the visit's UPDATE)."""
    before, cancelled = taken
    audit_updated(session, Assessment, [(before, values)])
    if cancelled:
        session.flush()  # as the cancellation does
    else:
        cancel_for_recorded(session, assessment)


def completed_values(now: datetime, visit_on: date | None, actor_id: int | None,
                     mode: str) -> dict[str, Any]:
    """The columns a recorded follow-up changes (its version aside)."""
    return {"state": "completed", "completed_at": now, "visit_on": visit_on or now.date(),
            "completed_by_id": actor_id, "mode": mode}


def not_done_values(reason: str, actor_id: int | None) -> dict[str, Any]:
    """The columns marking a follow-up not done changes (its version aside)."""
    return {"state": "not_done", "not_done_reason": reason.strip(),
            "completed_by_id": actor_id}


def filled_entries(entries: dict[str, Any]) -> dict[str, Any]:
    """The entries given a value (a blank field is not a score)."""
    return {k: v for k, v in entries.items() if not _blank(v)}


def _blank(value: Any) -> bool:
    if value is None or value == "":
        return True
    if isinstance(value, dict):
        return all(v is None or v == "" for v in value.values())
    if isinstance(value, list | tuple):
        return all(v is None or v == "" for v in value)
    return False


def _store(session: Session, assessment_id: int, scored: list[ScoredValue], mode: str,
           actor_id: int | None, now: Any) -> list[StoredScore]:
    """The scores and their sections, on PostgreSQL in one INSERT (Core), elsewhere one
    each, their audit events written with the visit's (:func:`_closed`); the scores are
    returned as stored. A save writes a dozen new rows, for which the unit of work cost
    about as much as the rest of the save (its value and lock guards and audit listener
    each walk every new object); the rows and events written are the ones it wrote. A
    locked visit is refused before (:func:`_take`)."""
    scores = score_rows(assessment_id, scored, mode, actor_id, now)
    sections = [{"score_id": position, "section": section, "value": value}
                for position, s in enumerate(scored)
                for section, value in sorted(s.sections.items())]
    insert_audited_family(session, (Score, scores, ("instrument",)),
                          (ScoreSection, sections, ("score_id", "section")), link="score_id")
    return [StoredScore(**row) for row in scores]


def score_rows(assessment_id: int, scored: list[ScoredValue], mode: str,
               actor_id: int | None, now: Any) -> list[dict[str, Any]]:
    """A follow-up's scores, an INSERT's rows."""
    return [{"assessment_id": assessment_id, "instrument": s.instrument, "value": s.value,
             "raw_sum": s.raw_sum, "answered": s.answered,
             "not_computable_reason": s.reason, "mode": mode,
             "collected_by_id": actor_id, "collected_at": now} for s in scored]


def section_rows(scores: list[dict[str, Any]],
                 scored: list[ScoredValue]) -> list[dict[str, Any]]:
    """The sections (ODI, NDI items) of ``scores`` once inserted (each has its ``id``)."""
    return [{"score_id": row["id"], "section": section, "value": value}
            for row, s in zip(scores, scored, strict=True)
            for section, value in sorted(s.sections.items())]


def mark_not_done(session: Session, *, assessment: Assessment, reason: str,
                  actor_id: int | None, read_version: int | None = None) -> Assessment:
    if assessment.state == "not_done":
        raise ValidationError({"assessment": "This follow-up is marked not done already."})
    if assessment.state != "pending":
        raise ValidationError({"assessment": "This follow-up is already recorded."})
    if len(" ".join(reason.split())) < MIN_REASON_LENGTH:  # as any other change's reason
        raise ValidationError({"not_done_reason": "Say why the follow-up was not done, in at "
                                                  f"least {MIN_REASON_LENGTH} characters."})
    if len(reason.strip()) > REASON_MAX:
        raise ValidationError({"not_done_reason": f"Use at most {REASON_MAX} characters."})
    values = not_done_values(reason, actor_id)
    _closed(session, assessment, _take(session, assessment, values, read_version), values)
    return assessment


def patient_of(session: Session, assessment: Assessment) -> Patient:
    patient = session.get(Patient, assessment.patient_id)
    assert patient is not None
    return patient
