"""The rule that ties versions to the audit trail: a record's version goes up only
together with an audit event about that record (a changed field, or a row of its own
added or removed, such as an ODI section or a procedure's target).

Versions rise in two ways: through the ORM (``record.version += 1``) and through
:func:`clinic.edits.claim` (a conditional UPDATE, which calls :func:`note_claim`).
Audit events are collected as they are written. Before the transaction commits, every
record whose version rose must have one; otherwise the commit is refused with
"Nothing was changed", so a correction that changes nothing can neither raise the
version nor lose its stated reason.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from clinic.exceptions import ValidationError
from clinic.models.base import Audited

BUMPED = "clinic.version_bumped"
AUDITED = "clinic.audited_records"
NOTHING_CHANGED = "Nothing was changed: the record was left as it was."


class NothingChanged(ValidationError):
    """A version was raised without any audited change."""

    def __init__(self, records: set[tuple[str, int]]) -> None:
        self.records = records
        super().__init__({"reason": NOTHING_CHANGED})


def install_version_rule() -> None:
    for name, listener in (("before_commit", _check_before_commit),
                           ("after_commit", _forget), ("after_soft_rollback", _forget_soft)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def note_claim(session: Session, obj: Any) -> None:
    session.info.setdefault(BUMPED, set()).add((obj.__tablename__, obj.id))


def note_version_bumps(session: Session) -> None:
    """after_flush: records whose ``version`` attribute changed in this flush."""
    for obj in session.dirty:
        if isinstance(obj, Audited) and "version" in inspect(obj).mapper.column_attrs:
            history = inspect(obj).attrs["version"].history
            if history.has_changes() and history.deleted and history.deleted != history.added:
                session.info.setdefault(BUMPED, set()).add((obj.__tablename__, obj.id))


def note_audited(session: Session, obj: Any,
                 flushed: dict[tuple[str, int], Any] | None = None) -> None:
    """``obj`` wrote audit events: it, and the records it belongs to, changed.
    ``flushed``: the rows this flush inserted, by (table, id), for owners inserted in
    the same flush (not yet in the identity map while the flush runs). Only records
    with a version are kept (the rule asks about no other): a writer of many rows,
    their ODI sections and checklist answers, keeps a tenth of them."""
    session.info.setdefault(AUDITED, set()).update(
        record for record in covered_records(session, obj, flushed) if _versioned(record[0]))


def covered_records(session: Session, obj: Any,
                    flushed: dict[tuple[str, int], Any] | None = None) -> set[tuple[str, int]]:
    """The record itself and, up the owner links, the records whose version covers it:
    an ODI section → its score → the assessment."""
    found = {(obj.__tablename__, obj.id)}
    link = _link(obj)
    for _ in range(MAX_DEPTH):
        if link is None:
            break
        found.add(link)
        inserted = flushed.get(link) if flushed else None
        link = _link(inserted) if inserted is not None else _owner_of(session, *link)
    return found


MAX_DEPTH = 4


def _owner(model_or_row: Any) -> tuple[str, str] | None:
    return (getattr(model_or_row, "__audit_owner__", None)
            or getattr(model_or_row, "__audit_parent__", None))


def _link(obj: Any) -> tuple[str, int] | None:
    owner = _owner(obj)
    key = getattr(obj, owner[1], None) if owner else None
    return (owner[0], key) if owner and key is not None else None  # type: ignore[index]


def _owner_of(session: Session, table: str, key: int) -> tuple[str, int] | None:
    """The owner of record (table, key): from the loaded object, else one small query."""
    model = _model(table)
    owner = _owner(model) if model is not None else None
    if owner is None:
        return None
    loaded = session.identity_map.get(session.identity_key(model, key))
    if loaded is not None:
        return _link(loaded)
    columns = model.__table__.c  # type: ignore[union-attr]
    value = session.connection().execute(
        select(columns[owner[1]]).where(columns.id == key)).scalar()
    return None if value is None else (owner[0], value)


_MODELS: dict[str, Any] = {}
_VERSIONED: dict[str, bool] = {}


def _versioned(table: str) -> bool:
    """Whether the table's records have a version (only those can be raised)."""
    if table not in _VERSIONED:
        model = _model(table)
        _VERSIONED[table] = model is not None and "version" in model.__table__.c
    return _VERSIONED[table]


def _model(table: str) -> Any:
    """Table name -> model class, from the mapper registry, read again only for a table
    not seen yet (listing the registry's mappers costs more than the rest of the audit
    listener)."""
    if table not in _MODELS:
        from sqlmodel import SQLModel

        _MODELS.update({getattr(m.class_, "__tablename__", ""): m.class_
                        for m in SQLModel._sa_registry.mappers})  # type: ignore[attr-defined]
    return _MODELS.get(table)


def _check_before_commit(session: Session) -> None:
    if not session.info.get(BUMPED):
        return
    session.flush()  # the last changes are flushed after before_commit otherwise
    missing = session.info.get(BUMPED, set()) - session.info.get(AUDITED, set())
    if missing:
        raise NothingChanged(missing)


def _forget(session: Session) -> None:
    session.info.pop(BUMPED, None)
    session.info.pop(AUDITED, None)


def _forget_soft(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outermost transaction ended
        _forget(session)
