"""Who last changed a record, and when: its newest audit event, or its children's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from clinic.models import AuditEvent, Score, User

# rows whose audit events do not name the record as their parent, found by a column
CHILDREN: dict[str, tuple[Any, Any]] = {"assessment": (Score.__table__, "assessment_id")}


def last_change(session: Session, table: str, row_id: int) -> tuple[str, datetime] | None:
    """(name of who made it, when) of the newest audit event about the row ``table``
    ``row_id`` or a row under it (a study's arms; a visit's scores and their sections);
    None if there is none."""
    found = last_change_by(session, table, row_id)
    return None if found is None else (found[1], found[2])


def last_change_by(session: Session, table: str,
                   row_id: int) -> tuple[int | None, str, datetime] | None:
    """:func:`last_change` with the id of who made it (None: the system)."""
    about = [and_(AuditEvent.entity == table, AuditEvent.entity_id == row_id),
             and_(AuditEvent.parent_entity == table, AuditEvent.parent_id == row_id)]
    if table in CHILDREN:
        child, column = CHILDREN[table]
        ids = select(child.c.id).where(child.c[column] == row_id).scalar_subquery()
        about += [and_(AuditEvent.entity == child.name, AuditEvent.entity_id.in_(ids)),  # type: ignore[union-attr]
                  and_(AuditEvent.parent_entity == child.name,
                       AuditEvent.parent_id.in_(ids))]  # type: ignore[union-attr]
    found = session.execute(
        select(AuditEvent.user_id, User.name, AuditEvent.occurred_at)
        .outerjoin(User, User.id == AuditEvent.user_id)  # type: ignore[arg-type]
        .where(or_(*about)).order_by(AuditEvent.id.desc()).limit(1)).first()  # type: ignore[union-attr]
    return None if found is None else (found[0], found[1] or "the system", found[2])
