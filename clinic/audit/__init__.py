"""Audit trail: every create, update and delete of clinical data, in the same transaction.

Callers say who acts and why with :func:`set_actor` on the session; an ``after_flush``
listener then writes one :class:`AuditEvent` per created or deleted row and per changed
field, through the flush's own connection, so the audit rows commit or roll back with
the change itself.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from clinic.models.audit import AuditEvent
from clinic.models.base import Audited, utcnow

REDACTED = "[identifying data]"
_SKIPPED_FIELDS = frozenset({"id", "version"})


def set_actor(session: Session, user_id: int | None, reason: str | None = None) -> None:
    """Record who is acting, and why, for the audit events of this session's next flushes."""
    session.info["actor_id"] = user_id
    session.info["reason"] = reason


def install_audit_listener() -> None:
    if not event.contains(Session, "after_flush", _write_audit_events):
        event.listen(Session, "after_flush", _write_audit_events)


def _write_audit_events(session: Session, _context: Any) -> None:
    rows: list[dict[str, Any]] = []
    for obj in session.new:
        if isinstance(obj, Audited):
            rows.append(_row(session, obj, "create", None, None, _snapshot(obj)))
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            rows.extend(_update_rows(session, obj))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            rows.append(_row(session, obj, "delete", None, _snapshot(obj), None))
    if rows:
        session.connection().execute(insert(AuditEvent.__table__), rows)


def _update_rows(session: Session, obj: Audited) -> list[dict[str, Any]]:
    rows = []
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        if attr.key in _SKIPPED_FIELDS:
            continue
        history = state.attrs[attr.key].history
        if history.has_changes() and history.deleted != history.added:
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                rows.append(_row(session, obj, "update", attr.key, _text(obj, old),
                                 _text(obj, new)))
    return rows


def _row(session: Session, obj: Any, action: str, field: str | None,
         old: str | None, new: str | None) -> dict[str, Any]:
    parent = obj.__audit_parent__
    return {
        "occurred_at": utcnow(),
        "user_id": session.info.get("actor_id"),
        "entity": obj.__tablename__,
        "entity_id": obj.id,
        "action": action,
        "field": field,
        "old_value": old,
        "new_value": new,
        "reason": session.info.get("reason"),
        "parent_entity": parent[0] if parent else None,
        "parent_id": getattr(obj, parent[1]) if parent else None,
    }


def _snapshot(obj: Any) -> str:
    if obj.__audit_redact__:
        return REDACTED
    values = {a.key: _plain(getattr(obj, a.key)) for a in inspect(obj).mapper.column_attrs}
    return json.dumps(values, sort_keys=True, default=str)


def _text(obj: Any, value: Any) -> str | None:
    if obj.__audit_redact__:
        return REDACTED
    plain = _plain(value)
    return None if plain is None else str(plain)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
