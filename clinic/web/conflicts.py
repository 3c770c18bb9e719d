"""The one answer to an edit that lost the race (see ``clinic.edits.claim``)."""

from __future__ import annotations

from typing import Any

from flask import flash
from sqlmodel import Session


def reload_after_conflict(session: Session, record: Any, what: str) -> None:
    """Drop this request's change, re-read ``record`` and tell the user so."""
    session.rollback()
    session.refresh(record)
    flash(f"Someone else changed this {what} while you were editing. Your change was NOT "
          "saved; the form now shows what is recorded.", "error")
