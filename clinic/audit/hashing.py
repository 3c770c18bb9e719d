"""The audit chain's hash of one event (pure: no Flask, no database).

Each sealed event carries the hash of its predecessor and its own hash over that link,
its sequence number and every field it records, so changing, removing or reordering any
sealed event breaks the chain from there on (see clinic.audit.chain).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64  # the "predecessor" of the first event
HASHED_FIELDS = ("id", "occurred_at", "user_id", "entity", "entity_id", "action", "field",
                 "old_value", "new_value", "reason", "parent_entity", "parent_id")
# identity changes (identity_audit_event), a chain of their own
IDENTITY_HASHED_FIELDS = ("id", "occurred_at", "user_id", "entity", "entity_id", "patient_id",
                          "action", "field", "old_value", "new_value", "reason")


def canonical(seq: int, row: Mapping[str, Any],
              fields: tuple[str, ...] = HASHED_FIELDS) -> str:
    """The text that is hashed: the sequence number and the fields, in a fixed order,
    times in UTC to the microsecond (the same on SQLite and PostgreSQL)."""
    values = [seq, *(_plain(row[name]) for name in fields)]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def event_hash(prev_hash: str, seq: int, row: Mapping[str, Any],
               fields: tuple[str, ...] = HASHED_FIELDS) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(seq, row, fields)}".encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat(timespec="microseconds")
    return value
