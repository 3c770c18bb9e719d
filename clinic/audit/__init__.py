"""Audit trail: every create, update and delete of clinical data, in the same transaction.

Callers say who acts and why with :func:`set_actor` on the session; an ``after_flush``
listener then writes one :class:`AuditEvent` per created or deleted row and per changed
field, through the flush's own connection, so the audit rows commit or roll back with
the change itself.

Identifying data (``__audit_redact__``) is named in ``audit_event`` without its values;
the values go to ``identity_audit_event``, which only roles that may see identity read.
Secrets (``__audit_secret_fields__``, e.g. a password hash) never enter any audit row.

Every change of a record's version has its audit event: a version raised in a
transaction that writes no audit event for that record (nor for a row belonging to it)
is refused at commit with "Nothing was changed" (see clinic.audit.versions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from clinic.audit.versions import (
    install_version_rule,
    note_audited,
    note_version_bumps,
)
from clinic.models.audit import AUDIT_REASON_LENGTH, AuditEvent, IdentityAuditEvent
from clinic.models.base import Audited, utcnow
from clinic.models.inserts import insert_family, insert_unnested, insert_with_ids
from clinic.models.values import check_rows

REDACTED = "[identifying data]"
SECRET = "[secret]"
_SKIPPED_FIELDS = frozenset({"id", "version"})
REASON_COLUMN = AUDIT_REASON_LENGTH  # services refuse longer typed reasons, and the longest
# list of warnings confirmed with one stays far below it: this only keeps the insert valid

__all__ = ["REDACTED", "audit_inserted", "audit_updated", "insert_audited",
           "insert_audited_family",
           "install_audit_listener", "set_actor", "write_inserted_events"]


def set_actor(session: Session, user_id: int | None, reason: str | None = None) -> None:
    """Record who is acting, and why, for the audit events of this session's next flushes."""
    session.info["actor_id"] = user_id
    session.info["reason"] = reason[:REASON_COLUMN] if reason else reason


def install_audit_listener() -> None:
    for name, listener in (("after_flush", _write_audit_events),
                           ("before_commit", _write_inserted_left),
                           ("after_transaction_create", _mark_savepoint),
                           ("after_soft_rollback", _forget_rolled_back),
                           ("after_transaction_end", _forget_inserted)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    install_version_rule()


_INSERTED = "clinic.audit.inserted"  # rows a Core INSERT wrote, audited with the next flush
_SAVEPOINTS = "clinic.audit.savepoints"  # savepoint -> the rows held when it began


def _write_audit_events(session: Session, _context: Any) -> None:
    rows = _inserted_rows(session)
    created = [obj for obj in session.new if isinstance(obj, Audited)]
    flushed = {(obj.__tablename__, obj.id): obj for obj in created}
    for obj in created:
        rows.append(_row(session, obj, "create", None, None, _snapshot(obj)))
        note_audited(session, obj, flushed)
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            changes = _update_rows(session, obj)
            rows.extend(changes)
            if changes:
                note_audited(session, obj)
    for obj in session.deleted:
        if isinstance(obj, Audited):
            rows.append(_row(session, obj, "delete", None, _snapshot(obj), None))
            note_audited(session, obj)
    note_version_bumps(session)
    _write(session, rows)


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    identity = [row.pop("_identity") for row in rows if "_identity" in row]
    connection = session.connection()
    tables = (AuditEvent.__table__, IdentityAuditEvent.__table__)
    for table, written in zip(tables, (rows, identity), strict=True):
        if written and insert_unnested(connection, table, written) is None:  # type: ignore[arg-type]
            # another engine than PostgreSQL (SQLite): RETURNING makes SQLAlchemy send the
            # rows as multi-row INSERTs ("insertmanyvalues"), not one INSERT per row, which
            # SQLite's triggers on the audit tables made four times slower
            connection.execute(insert(table).returning(table.c.id), written)  # type: ignore[attr-defined]


def audit_inserted(session: Session,
                   *batches: tuple[type[Audited], list[dict[str, Any]]]) -> None:
    """The create events of rows inserted by a Core INSERT (each batch: a model and its
    rows, each with its ``id``), the same as the flush listener writes for objects: one
    event per row, the same snapshot. They are written with the next flush's events, in
    its one INSERT (or, no flush coming, before the commit), and noted for the version
    rule. The caller checked the values (the flush's value guard does not see a Core
    INSERT); the next flush's lock guard checks the rows' owner."""
    for model, rows in batches:
        columns = [a.key for a in inspect(model).column_attrs]
        session.info.setdefault(_INSERTED, []).extend(
            _Record(model, {key: row.get(key) for key in columns}) for row in rows)


def insert_audited(session: Session, model: type[Audited], rows: list[dict[str, Any]],
                   key: tuple[str, ...]) -> None:
    """Insert ``rows`` of ``model`` as one Core INSERT, each row given its ``id``, with
    their create events as the flush would write them (:func:`audit_inserted`). The
    values are checked as the flush checks them, a bad one refused before anything is
    written. ``key``: the columns that tell the rows apart (``insert_with_ids``). For
    the many small rows a form writes at once (checklist answers, scores, targets):
    the unit of work costs more than the INSERT for each of them."""
    if rows:
        _checked(model, rows)
        insert_with_ids(session.connection(), model.__table__, rows, key)  # type: ignore[attr-defined]
        audit_inserted(session, (model, rows))


def insert_audited_family(session: Session, parent: tuple[type[Audited], list[dict[str, Any]],
                                                          tuple[str, ...]],
                          child: tuple[type[Audited], list[dict[str, Any]], tuple[str, ...]],
                          link: str) -> None:
    """:func:`insert_audited` of rows (a model, its rows, their ``key``) and of their
    children, each child naming its parent by its position among the parents in its
    ``link`` column, which then takes the parent's id: on PostgreSQL one statement
    (clinic.models.inserts.insert_family), elsewhere one per table. Every value is
    checked before anything is written."""
    (parent_model, parents, parent_key), (child_model, children, child_key) = parent, child
    if not children:
        insert_audited(session, parent_model, parents, parent_key)
        return
    _checked(parent_model, parents)
    _checked(child_model, children)
    connection = session.connection()
    tables = parent_model.__table__, child_model.__table__  # type: ignore[attr-defined]
    if not insert_family(connection, tables[0], parents, tables[1], children, link):
        insert_with_ids(connection, tables[0], parents, parent_key)
        for row in children:
            row[link] = parents[row[link]]["id"]
        insert_with_ids(connection, tables[1], children, child_key)
    audit_inserted(session, (parent_model, parents), (child_model, children))


def _checked(model: type[Audited], rows: list[dict[str, Any]]) -> None:
    """Every column given (the audit's snapshot would show a missing one empty, not at
    its default), every value one the database takes."""
    missing = {a.key for a in inspect(model).column_attrs} - {"id"} - rows[0].keys()
    if missing:
        raise ValueError(f"{model.__tablename__}: every column is given to "
                         f"insert_audited ({', '.join(sorted(missing))} missing)")
    check_rows(model, rows)


def audit_updated(session: Session, model: type[Audited],
                  changes: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """The update events of rows a Core UPDATE changed, written now, the same as the
    flush listener writes them for an object: one per changed field, the version and
    the model's skipped fields aside; in the same INSERT as the create events held for
    the next flush (:func:`audit_inserted`), which come first, as in a flush. Each
    change: the row's values before (its ``id`` and parent column among them) and the
    new values."""
    skipped = _SKIPPED_FIELDS | model.__audit_skip_fields__
    rows = _inserted_rows(session)
    for before, new in changes:
        record = _Record(model, {**before, **new})
        changed = [_row(session, record, "update", key, _text(record, key, before.get(key)),
                        _text(record, key, value))
                   for key, value in new.items()
                   if key not in skipped and before.get(key) != value]
        if changed:
            note_audited(session, record)
        rows += changed
    _write(session, rows)


def _inserted_rows(session: Session) -> list[dict[str, Any]]:
    records = session.info.pop(_INSERTED, [])
    inserted = {(r.__tablename__, r.id): r for r in records}
    for record in records:
        note_audited(session, record, inserted)
    return [_row(session, r, "create", None, None, _snapshot(r)) for r in records]


def write_inserted_events(session: Session) -> None:
    """Write now the create events :func:`audit_inserted` holds for the next flush
    (a writer of many rows, that they are not all held at once)."""
    _write(session, _inserted_rows(session))


def _write_inserted_left(session: Session) -> None:
    write_inserted_events(session)


def _forget_inserted(session: Session, transaction: Any) -> None:
    """The transaction ended (not a flush's own): the rows inserted in it and not yet
    audited were rolled back with it (a commit writes their events first). A savepoint
    ended: the rows held before it wait again, with those inserted in it, until
    :func:`_forget_rolled_back` hears that it was rolled back (SQLAlchemy ends a
    transaction first, then says it rolled back)."""
    if transaction.parent is None:
        session.info.pop(_INSERTED, None)
        session.info.pop(_SAVEPOINTS, None)
    elif transaction.nested:
        before = session.info.get(_SAVEPOINTS, {}).get(transaction)
        if before is not None:
            session.info[_INSERTED] = before + session.info.get(_INSERTED, [])


def _mark_savepoint(session: Session, transaction: Any) -> None:
    """A savepoint begins: the rows held now are set aside until it ends, so that no
    flush inside it writes their events there (rolled back with it, they were lost
    once: the automatic queries' savepoint, rolled back when the nightly job raised the
    same query at the same instant, took the events of a save's rows with it)."""
    if transaction.nested:
        session.info.setdefault(_SAVEPOINTS, {})[transaction] = session.info.pop(
            _INSERTED, [])


def _forget_rolled_back(session: Session, transaction: Any) -> None:
    """A savepoint rolled back: the rows inserted in it are gone, and their events with
    them; those held before it wait on."""
    before = session.info.get(_SAVEPOINTS, {}).pop(transaction, None)
    if before is not None:
        session.info[_INSERTED] = before


class _Record:
    """A row inserted by Core, read as the audit reads an object: its columns as
    attributes, its model's audit settings and table name."""

    def __init__(self, model: type[Audited], values: dict[str, Any]) -> None:
        self.__dict__.update(values)
        self._model = model

    def __getattr__(self, name: str) -> Any:  # the model's __tablename__ and __audit_*__
        return getattr(self._model, name)


def _update_rows(session: Session, obj: Audited) -> list[dict[str, Any]]:
    rows = []
    state = inspect(obj)
    skipped = _SKIPPED_FIELDS | obj.__audit_skip_fields__
    for attr in state.mapper.column_attrs:
        if attr.key in skipped:
            continue
        history = state.attrs[attr.key].history
        if history.has_changes() and history.deleted != history.added:
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                rows.append(_row(session, obj, "update", attr.key, _text(obj, attr.key, old),
                                 _text(obj, attr.key, new)))
    return rows


def _row(session: Session, obj: Any, action: str, field: str | None,
         old: str | None, new: str | None) -> dict[str, Any]:
    meta = _meta(_model_of(obj))
    parent = meta.parent
    row = {
        "occurred_at": utcnow(),
        "user_id": session.info.get("actor_id"),
        "entity": meta.table,
        "entity_id": obj.id,
        "action": action,
        "field": field,
        "old_value": old,
        "new_value": new,
        "reason": session.info.get("reason"),
        "parent_entity": parent[0] if parent else None,
        "parent_id": getattr(obj, parent[1]) if parent else None,
    }
    if meta.redact:
        row["_identity"] = {**{k: row[k] for k in ("occurred_at", "user_id", "entity",
                                                   "entity_id", "action", "field", "reason")},
                            "patient_id": getattr(obj, "patient_id", None),
                            "old_value": old, "new_value": new}
        row["old_value"] = row["new_value"] = None if field is None else REDACTED
        if action == "create":
            row["new_value"] = REDACTED
        elif action == "delete":
            row["old_value"] = REDACTED
    return row


@dataclass(frozen=True)
class _Meta:
    """What the audit reads of a model for each of its rows, read once per model."""

    table: str
    parent: tuple[str, str] | None
    redact: bool
    secret: frozenset[str]
    columns: tuple[str, ...]


@cache
def _meta(model: type[Audited]) -> _Meta:
    return _Meta(model.__tablename__, model.__audit_parent__, model.__audit_redact__,  # type: ignore[arg-type]
                 frozenset(model.__audit_secret_fields__),
                 tuple(a.key for a in inspect(model).mapper.column_attrs))


def _model_of(obj: Any) -> type[Audited]:
    return obj._model if isinstance(obj, _Record) else type(obj)  # type: ignore[no-any-return]


def _snapshot(obj: Any) -> str:
    meta = _meta(_model_of(obj))
    values = {key: getattr(obj, key) for key in meta.columns}
    for key, value in values.items():
        if isinstance(value, datetime | date):
            values[key] = value.isoformat()
    for key in meta.secret:
        if values.get(key) is not None:
            values[key] = SECRET
    return json.dumps(values, sort_keys=True, default=str)


def _text(obj: Any, key: str, value: Any) -> str | None:
    plain = _plain(_meta(_model_of(obj)).secret, key, value)
    if isinstance(plain, list | dict):  # a JSON column: stored as JSON, not Python's repr
        return json.dumps(plain, sort_keys=True, ensure_ascii=False, default=str)
    return None if plain is None else str(plain)


def _plain(secret: frozenset[str], key: str, value: Any) -> Any:
    if key in secret:
        return None if value is None else SECRET
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
