"""A lease row: at most one live scheduler process per database.

The holder renews the lease well before it expires; a second scheduler finds it held
and refuses to start. A holder that died leaves a lease that expires, after which a
new process may take it over. (Double sends are impossible anyway: see the claim
protocol in :mod:`clinic.reminders`; the lease only keeps a second scheduler idle.)
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col

from clinic.models import SchedulerLease
from clinic.models.base import utcnow
from clinic.reminders.rows import insert_ignore


def acquire_lease(session: Session, name: str, holder: str, ttl: timedelta) -> bool:
    """Take or renew the lease; False when another live holder has it. Commits."""
    now = utcnow()
    won = insert_ignore(session, SchedulerLease, {"name": name, "holder": holder,
                                                  "acquired_at": now, "expires_at": now + ttl},
                        ("name",))
    if not won:  # renew our own lease, or take over an expired one
        won = _update(session, name, [col(SchedulerLease.holder) == holder], expires_at=now + ttl)
    if not won:
        won = _update(session, name, [col(SchedulerLease.expires_at) < now], holder=holder,
                      acquired_at=now, expires_at=now + ttl)
    session.commit()
    return bool(won)


def _update(session: Session, name: str, conditions: list[Any], **values: Any) -> bool:
    table = SchedulerLease.__table__
    statement = update(table).where(col(SchedulerLease.name) == name, *conditions)
    return bool(session.exec(statement.values(**values)).rowcount == 1)  # type: ignore[call-overload]


def release_lease(session: Session, name: str, holder: str) -> None:
    session.exec(delete(SchedulerLease.__table__).where(  # type: ignore[call-overload]
        col(SchedulerLease.name) == name, col(SchedulerLease.holder) == holder))
    session.commit()


def lease_of(session: Session, name: str) -> SchedulerLease | None:
    lease = session.get(SchedulerLease, name, populate_existing=True)
    session.commit()
    return lease
