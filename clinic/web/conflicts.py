"""The one answer to an edit that lost the race (see ``clinic.edits.claim``)."""

from __future__ import annotations

from typing import Any

from flask import flash
from sqlmodel import Session

from clinic.audit.latest import last_change_by
from clinic.web.filters import local_time


def reload_after_conflict(session: Session, record: Any, what: str) -> None:
    """Drop this request's change, re-read ``record`` and tell the user so, naming who
    changed it and when (the same user in another tab is named too: that is news)."""
    session.rollback()
    session.refresh(record)
    found = last_change_by(session, record.__tablename__, record.id)
    who = f"{found[1]} changed this {what} ({local_time(found[2])})" if found else \
        f"Someone else changed this {what}"
    flash(f"{who} while you were editing. Your change was NOT saved; the form now shows "
          "what is recorded.", "error")
