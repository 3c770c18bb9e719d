"""Raising, answering, closing and re-opening data queries; each step audited.

States: open -> answered -> closed, and re-open from answered or closed. A monitor may
also close an open query (raised in error). Each step is a ``data_query_step`` row
(who, when, what they wrote) and changes the query's status: both are audit events
whose reason names the query, so the audit trail lists every step.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from clinic.audit import set_actor
from clinic.exceptions import ValidationError
from clinic.models import DataQuery, DataQueryStep, Patient, User
from clinic.queries.targets import Target, resolve

TEXT_MAX = 1000
# step -> (statuses it may follow, status after it)
TRANSITIONS = {"answered": (frozenset({"open"}), "answered"),
               "closed": (frozenset({"open", "answered"}), "closed"),
               "reopened": (frozenset({"answered", "closed"}), "open")}
NOT_CLOSED = ("open", "answered")


@dataclass(frozen=True)
class StepLine:
    step: DataQueryStep
    user_name: str


def raise_query(session: Session, *, table: str, row_id: int, field: str, text: str | None,
                actor_id: int | None) -> DataQuery:
    """A person's question on a value. The same question on the same value (whatever its
    case, spacing or closing mark) while it is still open or answered is refused, naming
    that query (a double click, a form sent again, made one query per post)."""
    target = resolve(session, table, row_id, field)
    question = _text(text, "Write the question.")
    pending = session.exec(select(DataQuery.id, DataQuery.text).where(
        DataQuery.patient_id == target.patient_id, DataQuery.target_table == target.table,
        DataQuery.target_id == target.row_id, DataQuery.field == target.field,
        DataQuery.status != "closed")).all()
    same = next((n for n, asked in pending if _gist(asked) == _gist(question)), None)
    if same is not None:
        raise ValidationError({"text": f"Query #{same} asks this already on this value and "
                                       "is not closed yet."})
    return add_query(session, target, text=question, actor_id=actor_id)


def relabel_queries(session: Session, table: str, row_id: int) -> None:
    """The queries on a record name it as it now reads: a corrected adverse event's type
    or onset, a procedure's new day (its queries named the record as it was when
    raised). The value each was raised on is kept as it was."""
    asked = session.exec(select(DataQuery).where(DataQuery.target_table == table,
                                                 DataQuery.target_id == row_id)).all()
    for query in asked:
        label = resolve(session, table, row_id, query.field).label[:200]
        if query.label != label:
            query.label = label
            session.add(query)
    if asked:
        session.flush()


def _gist(text: str | None) -> str:
    """A question as compared for a repeat: case, spacing and the closing mark aside."""
    return " ".join((text or "").split()).casefold().rstrip(".?! ")


def add_query(session: Session, target: Target, *, text: str, actor_id: int | None,
              rule: str | None = None) -> DataQuery:
    query = DataQuery(study_id=target.study_id, patient_id=target.patient_id,
                      assessment_id=target.assessment_id, target_table=target.table,
                      target_id=target.row_id, field=target.field, label=target.label[:200],
                      value_when_raised=target.value[:200], text=text, rule=rule,
                      rule_key=f"{rule}:{target.key}" if rule else None,
                      raised_by_id=actor_id)
    set_actor(session, actor_id, f"Data query raised on {target.label}")
    session.add(query)
    session.flush()
    session.add(DataQueryStep(query_id=query.id, step="raised", text=text,  # type: ignore[arg-type]
                              user_id=actor_id))
    session.flush()
    return query


def answer_query(session: Session, query: DataQuery, *, text: str | None,
                 actor_id: int | None) -> None:
    _step(session, query, "answered", _text(text, "Write the answer: why the value is "
                                                   "right, or what was done about it."),
          actor_id)


def answer_raised(session: Session, *, assessment_id: int, rules: Collection[str], text: str,
                  actor_id: int | None) -> list[DataQuery]:
    """The queries of ``rules`` the rules raised in this transaction on the visit
    ``assessment_id``, answered at once with ``text``: what the save that raised them
    said already answers them (a date the nurse confirmed, the reason she typed for a
    section not answered), and the monitor only closes them. The session's actor and
    reason stay the save's (each step is audited with its own)."""
    from clinic.queries.rules import RAISED

    raised = session.info.get(RAISED, [])
    queries = list(session.exec(select(DataQuery).where(
        col(DataQuery.id).in_(raised), col(DataQuery.rule).in_(rules),
        DataQuery.assessment_id == assessment_id, DataQuery.status == "open")
        .order_by(col(DataQuery.id))).all()) if raised else []
    before = session.info.get("actor_id"), session.info.get("reason")
    try:
        for query in queries:
            answer_query(session, query, text=text, actor_id=actor_id)
    finally:
        set_actor(session, *before)
    return queries


def close_query(session: Session, query: DataQuery, *, text: str | None,
                actor_id: int | None) -> None:
    """Close a query; one that was never answered (raised in error, or settled some
    other way) needs a note saying why, so that the trail explains it."""
    _hold(session, query)
    _step(session, query, "closed", _text(
        text, "Say why it is closed without an answer (raised in error, say); the note "
              "is kept with the query.", required=query.status == "open"), actor_id,
        held=True)


def reopen_query(session: Session, query: DataQuery, *, text: str | None,
                 actor_id: int | None) -> None:
    _step(session, query, "reopened", _text(text, "Say why it is re-opened."), actor_id)


def _hold(session: Session, query: DataQuery) -> None:
    """The query as it stands, its row locked (two closings at once: one wins)."""
    if session.get_bind().dialect.name == "postgresql":
        session.refresh(query, with_for_update=True)


def _step(session: Session, query: DataQuery, step: str, text: str | None,
          actor_id: int | None, *, held: bool = False) -> None:
    if not held:
        _hold(session, query)
    allowed, after = TRANSITIONS[step]
    if query.status not in allowed:
        raise ValidationError({"status": f"This query is {query.status}: it cannot be "
                                         f"{step} now."})
    set_actor(session, actor_id, f"Data query #{query.id} {step}")
    query.status = after
    session.add(query)
    session.add(DataQueryStep(query_id=query.id, step=step, text=text,  # type: ignore[arg-type]
                              user_id=actor_id))
    session.flush()


def _text(text: str | None, message: str, *, required: bool = True) -> str | None:
    """The text as written, its spacing tidied within each line and its line breaks kept
    (a question listing several values reads as a list); blank lines dropped."""
    cleaned = "\n".join(" ".join(line.split()) for line in (text or "").splitlines()
                         if line.strip())
    if not cleaned:
        if required:
            raise ValidationError({"text": message})
        return None
    if len(cleaned) > TEXT_MAX:
        raise ValidationError({"text": f"Keep it under {TEXT_MAX} characters."})
    return cleaned


def steps_of(session: Session, query: DataQuery) -> list[StepLine]:
    rows = session.exec(select(DataQueryStep, User.name)
                        .outerjoin(User, col(User.id) == col(DataQueryStep.user_id))
                        .where(DataQueryStep.query_id == query.id)
                        .order_by(col(DataQueryStep.id))).all()
    return [StepLine(step, name or "the rules") for step, name in rows]


def queries_of_patient(session: Session, patient_id: int, *,
                       not_closed_only: bool = False) -> list[DataQuery]:
    query = select(DataQuery).where(DataQuery.patient_id == patient_id)
    if not_closed_only:
        query = query.where(col(DataQuery.status).in_(NOT_CLOSED))
    return list(session.exec(query.order_by(col(DataQuery.id))).all())


def markers(queries: list[DataQuery]) -> dict[str, list[DataQuery]]:
    """"table:id:field" -> the queries on that value that are not closed."""
    found: dict[str, list[DataQuery]] = {}
    for q in queries:
        if q.status in NOT_CLOSED:
            found.setdefault(f"{q.target_table}:{q.target_id}:{q.field}", []).append(q)
    return found


def not_closed_words(queries: list[DataQuery]) -> str:
    """'1 data query on this patient is not closed', for the forms that sign or lock what
    the queries ask about (pure; the page links each query after it)."""
    one = len(queries) == 1
    return (f"{len(queries)} data quer{'y' if one else 'ies'} on this patient "
            f"{'is' if one else 'are'} not closed")


def open_count(session: Session, *, site_id: int | None) -> int:
    """Open queries (waiting for the site's answer), at one site or everywhere."""
    query = select(func.count(col(DataQuery.id))).where(DataQuery.status == "open")
    if site_id is not None:
        query = query.join(Patient, col(Patient.id) == col(DataQuery.patient_id)).where(
            Patient.site_id == site_id)
    return int(session.exec(query).one())


def answer_by_correction(session: Session, query_id: int | None, *, patient_id: int,
                         reason: str | None, actor_id: int | None,
                         changed: Collection[str] | None = None) -> DataQuery | None:
    """After a correction saved from a query's page: the query is answered with the
    correction's reason. Nothing happens for a query of another patient, one already
    answered or closed, or, given the fields the correction ``changed``, one on a field
    it left as it was (the monitor would read "Corrected" beside the same value); the
    correction itself stands."""
    if query_id is None:
        return None
    query = session.get(DataQuery, query_id)
    if query is None or query.patient_id != patient_id or query.status != "open":
        return None
    if changed is not None and query.field not in changed:
        return None
    why = " ".join((reason or "").split())[:TEXT_MAX - 40]
    _step(session, query, "answered", f"Corrected, with the reason: {why}", actor_id)
    return query


def queried_value(session: Session, query_id: int | None) -> str | None:
    """The value a query asks about as it reads now ("(removed)" once its row is gone),
    or None for no query: compared before and after a correction that names no fields
    (a follow-up's), it tells whether the correction changed that value."""
    query = session.get(DataQuery, query_id) if query_id is not None else None
    if query is None:
        return None
    try:
        return resolve(session, query.target_table, query.target_id, query.field).value
    except ValidationError:
        return "(removed)"


def answer_queries_on_changes(session: Session, *, query_id: int | None, patient_id: int,
                         table: str, row_id: int, changed: Collection[str],
                         reason: str | None, actor_id: int | None) -> list[int]:
    """The numbers of the queries a correction of ``table`` ``row_id`` answers: the one
    its form was opened from (if it changed that value), and the open ones on each value
    it changed, wherever the correction was made."""
    asked = answer_by_correction(session, query_id, patient_id=patient_id, reason=reason,
                                 actor_id=actor_id, changed=changed)
    found = [asked] if asked is not None else []
    found += answer_on_values(session, table=table, row_id=row_id, fields=changed,
                              reason=reason, actor_id=actor_id)
    return sorted({q.id for q in found})  # type: ignore[misc]


def answer_on_values(session: Session, *, table: str, row_id: int, fields: Collection[str],
                     reason: str | None, actor_id: int | None) -> list[DataQuery]:
    """:func:`answer_on_value` for each field a correction changed (those that can be
    queried; the others have no queries)."""
    found: list[DataQuery] = []
    for field in fields:
        found += answer_on_value(session, table=table, row_id=row_id, field=field,
                                 reason=reason, actor_id=actor_id)
    return found


def answer_on_value(session: Session, *, table: str, row_id: int, field: str,
                    reason: str | None, actor_id: int | None,
                    rule: str | None = None) -> list[DataQuery]:
    """A value corrected with a reason answers the open queries on it, wherever the
    correction was made (a visit's date from the visit's own form, not only from the
    query's page); the monitor then closes them or re-opens them. A query the rules
    raised in this same save on the value as it now reads is not answered: it asks about
    that value (an age outside the criteria, typed as a correction). ``rule``: only that
    rule's queries (the OME rule's, answered by the medications it compares with)."""
    from clinic.queries.rules import RAISED

    found = list(session.exec(select(DataQuery).where(
        DataQuery.target_table == table, DataQuery.target_id == row_id,
        DataQuery.field == field, DataQuery.status == "open",
        *([DataQuery.rule == rule] if rule else []))))
    just_raised = set(session.info.get(RAISED, []))
    if just_raised & {q.id for q in found}:
        now = (queried_value(session, found[0].id) or "")[:200]
        found = [q for q in found
                 if not (q.id in just_raised and q.value_when_raised == now)]
    why = " ".join((reason or "").split())[:TEXT_MAX - 40]
    for query in found:
        _step(session, query, "answered", f"Corrected, with the reason: {why}", actor_id)
    return found
