"""Changing recorded clinical data: a reason for every change, and no silent overwrites.

Optimistic locking on the ``version`` column: the form carries the version it was read
at; :func:`claim` runs ``UPDATE … SET version = :read + 1 WHERE id = :id AND version =
:read`` first. If another transaction changed the row since, no row matches and
:class:`ConflictError` is raised; if one is changing it right now, the database makes
this one wait (row lock) and then find no match. The audit listener records each
changed field with its old value and the reason (see ``clinic.audit``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from clinic.audit import set_actor
from clinic.audit.versions import note_claim
from clinic.catalog import INT_MAX
from clinic.exceptions import BrokenVersion, ClinicError, ConflictError, ValidationError

MIN_REASON_LENGTH = 3
REASON_MAX = 500  # audit_event.reason
NOTHING_CHANGED = "Nothing was changed."  # a correction whose values are those stored


def require_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if len(text) < MIN_REASON_LENGTH:
        raise ValidationError({"reason": "Give the reason for this change (kept in the audit "
                                         f"trail), in at least {MIN_REASON_LENGTH} characters."})
    if len(text) > REASON_MAX:
        raise ValidationError({"reason": f"Keep the reason under {REASON_MAX} characters."})
    return text


def claim(session: Session, obj: Any, read_version: int | None,
          values: dict[str, Any] | None = None) -> None:
    """Take the record at ``read_version`` or raise ConflictError (see module docstring).

    ``values``: columns changed by the same UPDATE (one statement for a change that is
    known whole when it is claimed, such as a follow-up's completion); the object holds
    them as stored, and the caller writes their audit events. The raised version must
    come with an audit event about the record in the same transaction, or the commit is
    refused (clinic.audit.versions).
    """
    check_form_version(read_version)
    table = type(obj).__table__
    changed = values or {}
    result = session.execute(claim_statement(table, tuple(changed)), {
        "claim_id": obj.id, "claim_read": read_version, "claim_new": read_version + 1,  # type: ignore[operator]
        **{f"new_{key}": value for key, value in changed.items()}})
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(obj)
        raise _stale(obj, read_version)  # type: ignore[arg-type]
    taken(session, obj, read_version, values)  # type: ignore[arg-type]


def taken(session: Session, obj: Any, read_version: int,
          values: dict[str, Any] | None = None) -> None:
    """``obj`` as the claim's UPDATE left it (its version raised, ``values`` set), held
    as stored; noted for the version rule."""
    for key, value in {"version": read_version + 1, **(values or {})}.items():
        set_committed_value(obj, key, value)
    note_claim(session, obj)


@cache
def claim_statement(table: Any, columns: tuple[str, ...]) -> Any:
    """The claim's UPDATE of ``table`` setting ``columns`` too, built once (building it
    and its cache key cost more than a tenth of a millisecond a save)."""
    return (update(table).where(table.c.id == bindparam("claim_id"),
                                table.c.version == bindparam("claim_read"))
            .values(version=bindparam("claim_new"),
                    **{name: bindparam(f"new_{name}", type_=table.c[name].type)
                       for name in columns}))


def check_read_version(obj: Any, read_version: int | None) -> None:
    """Refuse, before anything is written, a change read at another version than the
    record has as loaded in this transaction; :func:`claim` still refuses one that
    another transaction makes stale in between."""
    check_form_version(read_version)
    if read_version != obj.version:
        raise _stale(obj, read_version)  # type: ignore[arg-type]


def check_form_version(read_version: int | None) -> None:
    if read_version is None or not isinstance(read_version, int) or isinstance(
            read_version, bool) or not 0 <= read_version < INT_MAX:
        raise BrokenVersion("The change did not say which version of the record it was "
                            "read at, so it cannot be told from a stale one; nothing was "
                            "saved. Reload the page and enter the change again.")


def _stale(obj: Any, read_version: int) -> ClinicError:
    if read_version > obj.version:
        return BrokenVersion(f"The change names version {read_version} of the record, "
                             f"which is only at version {obj.version}: a broken form; "
                             "nothing was saved. Reload the page and enter the change "
                             "again.")
    what = obj.__tablename__.replace("_", " ").capitalize()  # "Adverse event", not a class
    return ConflictError(f"{what} {obj.id} was changed since it was read (version "
                         f"{read_version} → {obj.version}): another save came first, or "
                         "this one was sent twice.")


def edit_with_reason(session: Session, obj: Any, *, read_version: int | None,
                     changes: dict[str, Any], actor_id: int | None,
                     reason: str | None,
                     children: Callable[[], list[str]] | None = None) -> list[str]:
    """Apply ``changes`` to ``obj``; returns the names of the fields that changed.
    ``children``: applies changes to the record's own child rows (audited with it) once
    it is claimed, and names them."""
    text = require_reason(reason)
    set_actor(session, actor_id, text)
    claim(session, obj, read_version)  # a stale form is a conflict, even if it changes nothing
    changed = [k for k, v in changes.items() if getattr(obj, k) != v]
    changed += children() if children is not None else []
    if not changed:
        raise ValidationError({"reason": NOTHING_CHANGED})
    for name in changed:
        if name in changes:
            setattr(obj, name, changes[name])
    session.add(obj)
    session.flush()
    return changed
