"""A patient's record history as lines a person can read.

Audit events name tables and columns; staff need "removed: target L5–S1 left" or
"section 3 (Lifting): answer 2 → 3". A child row (a procedure's target, a score's section,
a visit's medication, a root's laterality) is named from the snapshot its create or
delete event holds, so it stays nameable after the row itself is gone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from clinic import catalog
from clinic.models import AuditEvent
from clinic.scoring.disability import SECTIONS_BY_INSTRUMENT

# rows whose events name a parent but that have a history section of their own (a
# score: its events name its visit, so that a removed score is found by it)
OWN_SECTION = frozenset({"score"})


def is_child_event(e: AuditEvent) -> bool:
    """An event about a child row, read in its parent's section."""
    return e.parent_entity is not None and e.entity not in OWN_SECTION


def removed_scores(audit: dict[tuple[str, int], list[AuditEvent]], visit_id: int,
                   kept: Iterable[int]) -> list[tuple[int, str]]:
    """(id, instrument) of the scores of visit ``visit_id`` that a correction removed,
    found by their events (which name the visit) and named from their snapshot."""
    kept = set(kept)
    found = []
    for (table, key), events in audit.items():
        if table != "score" or key in kept or not any(
                e.parent_entity == "assessment" and e.parent_id == visit_id for e in events):
            continue
        snapshots = [_own_snapshot(e) for e in events if e.action in ("create", "delete")]
        instrument = next((str(row["instrument"]) for row in snapshots
                           if row and row.get("instrument")), "")
        found.append((key, instrument))
    return sorted(found)


@dataclass(frozen=True)
class HistoryLine:
    occurred_at: datetime
    user_id: int | None
    action: str  # create, update, delete; replace: child rows removed and others added
    entity: str  # the table the event is about
    subject: str  # "" for the record itself, else the child row, e.g. "target L5 left"
    items: tuple[str, ...]  # created or deleted child rows, e.g. "section 3 (Lifting) = 1"
    field: str | None
    old_value: str | None
    new_value: str | None
    reason: str | None
    removed: tuple[str, ...] = ()  # replace: the child rows the added ones took the place of

    @property
    def is_child(self) -> bool:
        return bool(self.subject)


def history_lines(events: Iterable[AuditEvent], instrument: str | None = None) -> list[HistoryLine]:
    """Readable lines for one record's events; ``instrument`` names a score's sections.

    Child rows added (or removed) together, by one person for one reason, read as one
    line: the ten sections of an ODI entry, the targets a correction replaced.
    """
    # a child row's snapshot, parsed once: from its create event, or its delete event
    rows = [(e, _own_snapshot(e) if is_child_event(e) and e.action != "update" else None)
            for e in events]
    names = _child_names(rows, instrument)
    lines: list[HistoryLine] = []
    for (e, row), name in zip(rows, names, strict=True):
        subject, items = "", ()
        if is_child_event(e):
            subject = name or f"{e.entity.replace('_', ' ')} #{e.entity_id}"
            if e.action != "update":
                detail = _detail(e.entity, row or {})
                joint = " " if e.entity == "medication" else " = "  # "tramadol 100 mg/day"
                items = (f"{subject}{joint}{detail}" if detail else subject,)
        elif e.entity in OWN_SECTION and e.action in ("create", "delete"):
            items = _value_of(_own_snapshot(e))
        line = HistoryLine(e.occurred_at, e.user_id, e.action, e.entity, subject, items,
                           e.field, e.old_value, e.new_value, e.reason)
        if lines and _same_batch(lines[-1], line):
            lines[-1] = replace(lines[-1], items=lines[-1].items + line.items)
        else:
            lines.append(line)
    return _replacements(lines)


def _replacements(lines: list[HistoryLine]) -> list[HistoryLine]:
    """Child rows removed and others added at once, by one person for one reason (a
    correction of a procedure's targets or injectates), read as one change: "targets:
    L4–L5 left → L5–S1 left", not as a removal and an unrelated addition."""
    merged: list[HistoryLine] = []
    for line in lines:
        before = merged[-1] if merged else None
        if (before is not None and before.action == "delete" and line.action == "create"
                and before.is_child and line.is_child and before.entity == line.entity
                and before.user_id == line.user_id and before.reason == line.reason
                and line.reason is not None
                and abs(line.occurred_at - before.occurred_at) <= SAME_CHANGE):
            merged[-1] = replace(line, action="replace", removed=before.items)
        else:
            merged.append(line)
    return merged


SAME_CHANGE = timedelta(minutes=1)  # a removal and an addition this close: one correction
# a child table's rows, named together in a replacement
CHILD_ROWS = {"procedure_target": "targets", "injectate": "injectates",
              "medication": "medications", "score_section": "sections",
              "root_laterality": "laterality"}


def child_rows(entity: str) -> str:
    return CHILD_ROWS.get(entity, entity.replace("_", " "))


def corrections(lines: list[HistoryLine]) -> int:
    """Changes made later for a reason of their own (a correction, a visit marked not
    done, a medication added by a correction), not the ones that came with recording
    the data (a follow-up completed, a visit re-anchored when the procedure was
    recorded)."""
    recorded_for = next((line.reason for line in lines if line.action == "create"), None)
    return sum(1 for line in lines if line.reason is not None and line.reason != recorded_for)


def _same_batch(before: HistoryLine, line: HistoryLine) -> bool:
    return (bool(before.items) and bool(line.items) and before.action == line.action
            and before.entity == line.entity and before.user_id == line.user_id
            and before.reason == line.reason)


def _child_names(rows: list[tuple[AuditEvent, dict[str, Any] | None]],
                 instrument: str | None) -> list[str | None]:
    """Each event's child row by name, from the snapshot of the row as it was then: the
    create before the event, else (its create not among the events) the delete after
    it. SQLite gave a deleted row's id to the next row added to the table, until
    migration 0028: in a trail written before, one id may name two rows, one after the
    other (a medication removed, another added)."""
    names: list[str | None] = [None] * len(rows)
    since: dict[tuple[str, int], str] = {}
    current: dict[tuple[str, int], dict[str, Any]] = {}  # the row as its events left it
    for i, (e, row) in enumerate(rows):
        namer, key = _NAMERS.get(e.entity), (e.entity, e.entity_id)
        if namer is not None and row is not None and e.action in ("create", "delete"):
            names[i] = namer(row, instrument)  # its own snapshot: the row as it was then
            if e.action == "create":
                since[key], current[key] = names[i], dict(row)  # type: ignore[assignment]
            continue
        names[i] = since.get(key)
        if namer is not None and e.action == "update" and key in current and e.field:
            current[key][e.field] = e.new_value  # a drug renamed: named so from then on
            since[key] = namer(current[key], instrument)
    until: dict[tuple[str, int], str] = {}
    for i in range(len(rows) - 1, -1, -1):
        e, row = rows[i]
        namer, key = _NAMERS.get(e.entity), (e.entity, e.entity_id)
        if namer is not None and row is not None and e.action == "delete":
            until[key] = namer(row, instrument)
        if names[i] is None:
            names[i] = until.get(key)
        if e.action == "create":  # the events before it are of the row the id named before
            until.pop(key, None)
    return names


def _own_snapshot(e: AuditEvent) -> dict[str, Any] | None:
    """The snapshot a row's create (or delete) event holds."""
    return _snapshot(e.new_value if e.action == "create" else e.old_value)


def _value_of(score: dict[str, Any] | None) -> tuple[str, ...]:
    """A score's value as created or deleted, from its snapshot: "value 4"."""
    if not score:
        return ()
    value = score.get("value")
    if isinstance(value, int | float):
        return (f"value {value:g}",)
    reason = score.get("not_computable_reason")
    return (f"no value ({reason})" if reason else "no value",)


def _detail(entity: str, row: dict[str, Any]) -> str:
    """The value of a created or deleted section or root, from its snapshot."""
    if entity == "score_section":
        return str(row.get("value", ""))
    if entity == "medication":  # its dose as added or removed (its name is the drug)
        dose = row.get("daily_dose_mg")
        return f"{dose:g} mg/day" if isinstance(dose, int | float) else ""
    if entity == "root_laterality":
        code = str(row.get("laterality", ""))  # as the patient page reads it: "Bilateral"
        return catalog.LATERALITY.get(code, code)
    return ""


def _snapshot(text: str | None) -> dict[str, Any] | None:
    try:
        row = json.loads(text or "")
    except ValueError:
        return None
    return row if isinstance(row, dict) else None


def _target(row: dict[str, Any], _instrument: str | None) -> str:
    level = catalog.LEVELS.get(row.get("level"), str(row.get("level")))
    side = catalog.SIDES.get(row.get("side"), row.get("side") or "")
    return f"target {level} {side.lower()}".strip()


def _injectate(row: dict[str, Any], _instrument: str | None) -> str:
    parts = ["injectate", catalog.DRUGS.get(row.get("drug"), str(row.get("drug")))]
    for key, unit in (("concentration_pct", "%"), ("volume_ml", "mL"), ("dose_mg", "mg")):
        if isinstance(row.get(key), int | float):
            parts.append(f"{row[key]:g} {unit}")
    return " ".join(parts)


def _section(row: dict[str, Any], instrument: str | None) -> str:
    number = row.get("section")
    sections = SECTIONS_BY_INSTRUMENT.get(instrument or "", ())
    if isinstance(number, int) and 1 <= number <= len(sections):
        return f"section {number} ({sections[number - 1].label})"
    return f"section {number}"


def _medication(row: dict[str, Any], _instrument: str | None) -> str:
    """By its drug only: a correction changes a row's dose, never its drug (another drug
    is another row), so the name stays true after the change."""
    return f"medication {row.get('drug')}"


def _root(row: dict[str, Any], _instrument: str | None) -> str:
    return f"root {row.get('root')}"


_NAMERS: dict[str, Callable[[dict[str, Any], str | None], str]] = {
    "procedure_target": _target,
    "injectate": _injectate,
    "score_section": _section,
    "medication": _medication,
    "root_laterality": _root,
}
