"""What a signature covers, as one canonical text, and its SHA-256 (pure).

The content is a mapping of record kind -> rows (each row a mapping of column ->
value): the patient, enrolment, procedures with targets and injectates, every recorded
visit with its scores, sections and medications, and the adverse events. Rows are
ordered by id, columns by name; ``version`` is left out (it only counts changes, which
show in the values themselves). Dates and times are ISO 8601, times in UTC.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

Content = Mapping[str, Sequence[Mapping[str, Any]]]
LEFT_OUT = frozenset({"version"})


def canonical_content(content: Content) -> str:
    ordered = {}
    for kind, kind_rows in content.items():
        rows = [[[k, _plain(v)] for k, v in sorted(row.items()) if k not in LEFT_OUT]
                for row in kind_rows]
        ordered[kind] = sorted(rows, key=lambda r: json.dumps(r, ensure_ascii=False))
    return json.dumps(ordered, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def content_hash(content: Content) -> str:
    return hashlib.sha256(canonical_content(content).encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)  # every bit: 0.1 + 0.2 is not 0.3
    return value
