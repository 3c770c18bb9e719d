"""The study-wide audit trail as people read it: filtered, each event placed with its
patient (study code only: identity values never leave ``identity_audit_event``), in
words and in the clinic's time zone. Feeds the audit screen and the CSV/XLSX/JSON
exports.

An event's patient is found from the row it is about (a section → its score → its
visit → the patient), or, for a row deleted since, from the snapshot its create event
holds. Events read in keyset batches, so an export of any size runs in bounded memory.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from clinic.audit.words import NONE_MEANS, field_label, score_value_words, value_words
from clinic.catalog import DATE_MAX, DATE_MIN
from clinic.exceptions import ValidationError
from clinic.models import AuditEvent, Patient, User

EVENTS = AuditEvent.__table__
BATCH = 2_000
ACTIONS = {"create": "created", "update": "changed", "delete": "deleted"}
ENTITIES = {
    "patient": "patient", "patient_identity": "identity", "root_laterality": "root laterality",
    "screening": "screening", "screening_answer": "screening answer",
    "enrollment": "enrollment", "procedure": "procedure", "procedure_target": "target",
    "injectate": "injectate", "assessment": "visit", "score": "score",
    "score_section": "questionnaire section", "medication": "medication",
    "adverse_event": "adverse event", "protocol_amendment": "protocol amendment",
    "record_lock": "lock", "data_query": "data query", "data_query_step": "data query step",
    "dose_report": "dose report", "dose_event": "irradiation event",
    "study_monitor": "monitor's study", "study": "study", "study_arm": "arm",
    "study_timepoint": "timepoint", "study_measure": "measure",
    "eligibility_criterion": "eligibility criterion",
}
# tables whose rows name their patient, and child tables: (parent table, column)
PATIENT_COLUMN = {"patient": "id", "patient_identity": "patient_id",
                  "root_laterality": "patient_id", "enrollment": "patient_id",
                  "procedure": "patient_id", "assessment": "patient_id",
                  "adverse_event": "patient_id", "data_query": "patient_id"}
VIA = {"score": ("assessment", "assessment_id"), "medication": ("assessment", "assessment_id"),
       "score_section": ("score", "score_id"), "procedure_target": ("procedure", "procedure_id"),
       "injectate": ("procedure", "procedure_id"),
       "screening_answer": ("screening", "screening_id"),
       "data_query_step": ("data_query", "query_id"),
       "dose_report": ("procedure", "procedure_id"), "dose_event": ("procedure", "procedure_id")}
STUDY_COLUMN = {"study": "id", "screening": "study_id", "protocol_amendment": "study_id",
                "record_lock": "study_id", "study_monitor": "study_id"}
# study set-up rows are named by their code ("arm B"), not by a row number ("arm 4")
NAME_COLUMN = {"study": "code", "study_arm": "code", "study_timepoint": "label",
               "eligibility_criterion": "code", "study_measure": "instrument",
               # a patient's detail rows by what they are about ("root laterality L4")
               "root_laterality": "root", "injectate": "drug", "procedure_target": "level",
               "screening_answer": "criterion_id", "score_section": "section",
               "medication": "drug", "procedure": "performed_at",
               "adverse_event": "event_type", "data_query_step": "step",
               "record_lock": "level"}
# rows one per patient are named by the patient's study code ("enrollment DEMO-0112")
NAMED_BY_PATIENT = frozenset({"patient", "enrollment", "patient_identity"})
# links to a parent row that read by the parent's name (see _record_names)
PARENT_FIELDS = {"assessment_id": "assessment", "score_id": "score",
                 "procedure_id": "procedure", "screening_id": "screening"}
COLUMNS = ("event", "sequence", "time", "user", "patient", "record", "action", "field",
           "old value", "new value", "reason")


@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    since: date | None = None  # clinic's days, inclusive
    until: date | None = None
    entity: str | None = None  # a table name, see ENTITIES
    patient_code: str | None = None
    reason: str | None = None  # a part of the reason, any case


def reversed_range(since: date | None, until: date | None) -> str | None:
    """Why a 'to' day before the 'from' day selects nothing, or None."""
    if since is not None and until is not None and since > until:
        return (f"'To' ({until}) is before 'From' ({since}): no day is in between. "
                "Swap them.")
    return None


@dataclass(frozen=True)
class TrailRow:
    event_id: int
    seq: int | None
    occurred_at: datetime
    user: str
    patient: str
    record: str
    action: str
    field: str
    old_value: str
    new_value: str
    reason: str

    def cells(self, zone: str) -> list[Any]:
        local = self.occurred_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")
        return [self.event_id, self.seq or "", local, self.user, self.patient, self.record,
                self.action, self.field, self.old_value, self.new_value, self.reason]

    def as_json(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "seq": self.seq,
                "occurred_at": self.occurred_at.astimezone(UTC).isoformat(),
                "user": self.user, "patient": self.patient, "record": self.record,
                "action": self.action, "field": self.field, "old_value": self.old_value,
                "new_value": self.new_value, "reason": self.reason}


def parse_day(text: str | None, name: str) -> date | None:
    """A filter's day: empty is none; anything else a date within the app's range."""
    if not text or not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError({name: f"Not a date (YYYY-MM-DD): {text[:40]!r}."}) from None
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValidationError({name: f"Enter a date from {DATE_MIN:%Y} to {DATE_MAX:%Y}."})
    return day


def trail_rows(session: Session, study_id: int, chosen: AuditFilter, *, zone: str,
               before_id: int | None = None, limit: int | None = None) -> Iterator[TrailRow]:
    """The study's events matching ``chosen``, newest first (``before_id``: continue a
    page below that event); at most ``limit``."""
    users = _user_names(session)
    ids = _set_up_names(session)
    wanted = patient_of_code(session, study_id, chosen.patient_code)
    if chosen.patient_code and wanted is None:
        return
    given = 0
    for batch in _batches(session, _conditions(chosen, zone), before_id):
        owners = _owners(session, batch)
        codes = _patient_codes(session, study_id, {p for p, _s in owners.values() if p})
        names = _record_names(session, batch, ids, zone)
        instruments = _score_instruments(session, batch)
        known = {**ids, **_parent_names(names)}
        for event in batch:
            patient_id, event_study = owners.get(event["id"], (None, None))
            code = codes.get(patient_id) if patient_id is not None else None
            if code is None and event_study != study_id:
                continue  # another study's event, or no study's (user accounts)
            if wanted is not None and patient_id != wanted:
                continue
            yield _row(event, users, code or "", zone,
                       names.get((event["entity"], event["entity_id"])), known,
                       instruments.get(event["entity_id"]) if event["entity"] == "score"
                       else None)
            given += 1
            if limit is not None and given >= limit:
                return


def _conditions(chosen: AuditFilter, zone: str) -> list[Any]:
    conditions: list[Any] = []
    if chosen.user_id is not None:
        conditions.append(EVENTS.c.user_id == chosen.user_id)
    if chosen.since is not None:
        conditions.append(EVENTS.c.occurred_at >= _start_of(chosen.since, zone))
    if chosen.until is not None:
        conditions.append(EVENTS.c.occurred_at < _start_of(chosen.until + timedelta(days=1),
                                                             zone))
    if chosen.entity:
        conditions.append(or_(EVENTS.c.entity == chosen.entity,
                              EVENTS.c.parent_entity == chosen.entity))
    if chosen.reason:
        conditions.append(func.lower(EVENTS.c.reason).contains(chosen.reason.lower(),
                                                                autoescape=True))
    return conditions


def _start_of(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _batches(session: Session, conditions: list[Any],
             before_id: int | None) -> Iterator[list[Any]]:
    """Events newest first, a batch at a time, by keyset on the id."""
    below = before_id
    while True:
        query = select(EVENTS).where(*conditions).order_by(EVENTS.c.id.desc()).limit(BATCH)
        if below is not None:
            query = query.where(EVENTS.c.id < below)
        batch = session.connection().execute(query).mappings().all()
        if not batch:
            return
        yield list(batch)
        if len(batch) < BATCH:
            return
        below = batch[-1]["id"]


def _owners(session: Session, batch: list[Any]) -> dict[int, tuple[int | None, int | None]]:
    """Event id -> (its patient's id, its study's id), each None where it has none."""
    record_of = {e["id"]: (e["parent_entity"], e["parent_id"]) if e["parent_entity"]
                 else (e["entity"], e["entity_id"]) for e in batch}
    resolved = _resolve(session, set(record_of.values()))
    return {event_id: resolved.get(record, (None, None))
            for event_id, record in record_of.items()}


def _resolve(session: Session, records: set[tuple[str, int]],
             depth: int = 0) -> dict[tuple[str, int], tuple[int | None, int | None]]:
    """(table, id) -> (patient id, study id), walking child rows up to their parents."""
    by_table: dict[str, set[int]] = defaultdict(set)
    for table, key in records:
        by_table[table].add(key)
    found: dict[tuple[str, int], tuple[int | None, int | None]] = {}
    parents: dict[tuple[str, int], tuple[str, int]] = {}
    for table, keys in by_table.items():
        if table in PATIENT_COLUMN:
            for key, patient_id in _column_of(session, table, PATIENT_COLUMN[table], keys):
                found[(table, key)] = (patient_id, None)
        elif table in STUDY_COLUMN:
            has_patient = "patient_id" in AuditEvent.metadata.tables[table].c
            links = dict(_column_of(session, table, "patient_id", keys)) if has_patient else {}
            for key, study_id in _column_of(session, table, STUDY_COLUMN[table], keys):
                found[(table, key)] = (links.get(key), study_id)
        elif table in VIA and depth < 3:
            parent, column = VIA[table]
            for key, parent_id in _column_of(session, table, column, keys):
                if parent_id is not None:
                    parents[(table, key)] = (parent, parent_id)
    if parents:
        above = _resolve(session, set(parents.values()), depth + 1)
        found.update({child: above[parent] for child, parent in parents.items()
                      if parent in above})
    return found


def _column_of(session: Session, table: str, column: str,
               keys: set[int]) -> list[tuple[int, Any]]:
    """(id, column) of rows that exist, and from the create event's snapshot for rows
    deleted since."""
    model = AuditEvent.metadata.tables[table]
    rows = [(int(k), v) for k, v in session.connection().execute(
        select(model.c.id, model.c[column]).where(model.c.id.in_(keys)))]
    gone = keys - {k for k, _ in rows}
    if gone:
        for key, snapshot in session.connection().execute(
                select(EVENTS.c.entity_id, EVENTS.c.new_value).where(
                    EVENTS.c.entity == table, EVENTS.c.action == "create",
                    EVENTS.c.entity_id.in_(gone))):
            rows.append((int(key), _snapshot(snapshot).get(column)))
    return rows


def _record_names(session: Session, batch: list[Any], ids: dict[str, dict[int, str]],
                  zone: str = "UTC") -> dict[tuple[str, int], str]:
    """(table, id) -> the words that name a row for a reader, deleted rows included: a
    set-up row by its code, a visit by its timepoint, a score by its instrument and
    visit ("VAS, 1 month")."""
    by_table: dict[str, set[int]] = defaultdict(set)
    for event in batch:
        if event["entity_id"] is not None and (event["entity"] in NAME_COLUMN or event[
                "entity"] in ("assessment", "score", "screening")):
            by_table[event["entity"]].add(event["entity_id"])
        for table, key in _parents_held(event):
            by_table[table].add(key)
    names: dict[tuple[str, int], str] = {}
    for table, keys in by_table.items():
        if table in NAME_COLUMN:
            column = NAME_COLUMN[table]
            for key, name in _column_of(session, table, column, keys):
                if name is not None and name != "":
                    names[(table, key)] = value_words(column, str(name), {}, zone, ids,
                                                      table)
    visits = {k: ids["timepoint_id"].get(t, "") for k, t in _column_of(
        session, "assessment", "timepoint_id", by_table.get("assessment", set())) if t}
    for key, label in visits.items():
        names[("assessment", key)] = label
    if by_table.get("score"):
        scores = dict(_column_of(session, "score", "instrument", by_table["score"]))
        of_visit = dict(_column_of(session, "score", "assessment_id", by_table["score"]))
        timepoints = dict(_column_of(session, "assessment", "timepoint_id",
                                     {v for v in of_visit.values() if v is not None}))
        for key, instrument in scores.items():
            visit = ids["timepoint_id"].get(timepoints.get(of_visit.get(key)), "")
            words = value_words("instrument", str(instrument), {}, "UTC")
            names[("score", key)] = f"{words}, {visit}" if visit else words
    names |= _screening_names(session, by_table.get("screening", set()), ids, zone)
    return names


def _screening_names(session: Session, keys: set[int], ids: dict[str, dict[int, str]],
                     zone: str) -> dict[tuple[str, int], str]:
    """A screening as the screening log shows it: its site and time ("NORTH 2026-11-03
    09:12 CET")."""
    if not keys:
        return {}
    sites = dict(_column_of(session, "screening", "site_id", keys))
    times = dict(_column_of(session, "screening", "screened_at", keys))
    return {("screening", key): " ".join(part for part in (
        ids["site_id"].get(sites.get(key), ""),  # type: ignore[arg-type]
        value_words("screened_at", str(times[key]), {}, zone) if times.get(key) else "")
        if part) for key in keys if sites.get(key) or times.get(key)}


def _parents_held(event: Any) -> list[tuple[str, int]]:
    """The parent rows (a visit, a score) an event's values point to by id."""
    held = []
    snapshots = [_snapshot(v) for v in (event["old_value"], event["new_value"])
                 if event["field"] is None and v]
    for column, table in PARENT_FIELDS.items():
        for value in [s.get(column) for s in snapshots] + (
                [event["old_value"], event["new_value"]] if event["field"] == column else []):
            if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
                held.append((table, int(value)))
    return held


def _parent_names(names: dict[tuple[str, int], str]) -> dict[str, dict[int, str]]:
    """field -> id -> name, for the parent links a row holds ("score: VAS, 1 month")."""
    found: dict[str, dict[int, str]] = {column: {} for column in PARENT_FIELDS}
    for (table, key), name in names.items():
        for column, parent in PARENT_FIELDS.items():
            if parent == table:
                found[column][key] = name
    return found


def _score_instruments(session: Session, batch: list[Any]) -> dict[int, str]:
    """Score id -> its instrument, for the score rows of the batch (their values read
    on the instrument's scale)."""
    keys = {e["entity_id"] for e in batch if e["entity"] == "score" and e["entity_id"]}
    return {k: str(v) for k, v in _column_of(session, "score", "instrument", keys) if v}


def _set_up_names(session: Session) -> dict[str, dict[int, str]]:
    """The names of the rows an audit value may point to by id: arms, sites, studies,
    timepoints, criteria (set-up tables: a few hundred rows at most)."""
    meta = AuditEvent.metadata.tables

    def names(table: str, column: str) -> dict[int, str]:
        t = meta[table]
        return {int(i): str(n) for i, n in session.connection().execute(
            select(t.c.id, t.c[column]))}

    # a criterion as the screening form asks it, not by its code ("inc_2")
    criteria = {key: f"'{_shortened(text, CRITERION_WORDS)}'"
                for key, text in names("eligibility_criterion", "text").items()}
    return {"arm_id": names("study_arm", "code"), "site_id": names("site", "code"),
            "study_id": names("study", "code"), "timepoint_id": names("study_timepoint", "label"),
            "criterion_id": criteria}


CRITERION_WORDS = 60


def _shortened(text: str, most: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[:most - 1].rstrip() + "…"


def _snapshot(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _row(event: Any, users: dict[int, str], patient: str, zone: str,
         name: str | None, ids: dict[str, dict[int, str]],
         instrument: str | None = None) -> TrailRow:
    field = event["field"]
    entity = ENTITIES.get(event["entity"], event["entity"].replace("_", " "))
    # the row's own patient reads by its study code, as in the patient column
    known = {**ids, "patient_id": {int(i): patient for i in _own_patient_ids(event)
                                   if patient}}  # ids: set-up rows and the batch's parents
    return TrailRow(
        event_id=event["id"], seq=event["seq"], occurred_at=_aware(event["occurred_at"]),
        user=users.get(event["user_id"], "system") if event["user_id"] else "system",
        patient=patient, record=f"{entity} {_record_name(event, name, patient)}",
        action=ACTIONS.get(event["action"], event["action"]),
        field=field_label(field, event["entity"]),
        old_value=_words(field, event["old_value"], users, zone, known, instrument,
                         event["entity"]),
        new_value=_words(field, event["new_value"], users, zone, known, instrument,
                         event["entity"]),
        reason=event["reason"] or "")


def _record_name(event: Any, name: str | None, patient: str) -> str:
    if event["entity"] == "data_query":  # as the queries screen numbers them
        return f"#{event['entity_id']}"
    if name:
        return name
    if event["entity"] in NAMED_BY_PATIENT and patient:
        return patient
    return str(event["entity_id"])


def _own_patient_ids(event: Any) -> set[str]:
    """The patient ids an event's values hold (its row's own patient)."""
    found = set()
    for text in (event["old_value"], event["new_value"]):
        if event["field"] == "patient_id" and text and text.isdigit():
            found.add(text)
        elif event["field"] is None:
            value = _snapshot(text).get("patient_id")
            if isinstance(value, int):
                found.add(str(value))
    return found if event["entity"] != "patient" else set()


# a row's own id and version, and a data query's rule key (its rule, record and field
# again, kept to raise it once): not said in a created or deleted row's words
UNSHOWN = frozenset({"id", "version", "rule_key"})
# a data query's record, row number and field: its label names the value in words
# ("VAS at 1 month"), where these read "record: score; record number: 812; field: value"
UNSHOWN_OF = {"data_query": frozenset({"target_table", "target_id", "field"})}


def _words(field: str | None, value: str | None, users: dict[int, str], zone: str,
           ids: dict[str, dict[int, str]], instrument: str | None = None,
           entity: str | None = None) -> str:
    """A field's value in words; a whole row (created or deleted) as 'label: value; …'."""
    if value is None:
        return ""
    if field is None and value.startswith("{"):
        snapshot = _snapshot(value)
        scale = snapshot.get("instrument") if isinstance(snapshot.get("instrument"),
                                                         str) else instrument
        return "; ".join(f"{field_label(k, entity)}: "
                         f"{_snapshot_words(k, v, users, zone, ids, scale, entity)}"
                         for k, v in sorted(snapshot.items())
                         if k not in UNSHOWN and k not in UNSHOWN_OF.get(entity or "", ())
                         and (v is not None or k in NONE_MEANS))
    if field == "value" and instrument:
        return score_value_words(instrument, value)
    return value_words(field, value, users, zone, ids, entity)


def _snapshot_words(field: str, value: Any, users: dict[int, str], zone: str,
                    ids: dict[str, dict[int, str]], instrument: str | None = None,
                    entity: str | None = None) -> str:
    """A whole document in a row (an amendment's protocol before and after) is not
    spelled out in one cell: the row itself keeps it, and its summary says what changed."""
    if field == "added_at" and isinstance(value, dict):
        return value_words(field, _text(value), users, zone, ids)
    if isinstance(value, dict):
        return "(a document of the record, not shown here)" if value else "none"
    if field == "value" and instrument and value is not None:
        return score_value_words(instrument, str(value))
    return value_words(field, _text(value), users, zone, ids, entity)


def _text(value: Any) -> str | None:
    if isinstance(value, list | dict):  # a JSON column in a snapshot
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return None if value is None else str(value)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _user_names(session: Session) -> dict[int, str]:
    return {int(i): str(n) for i, n in session.connection().execute(
        select(User.__table__.c.id, User.__table__.c.name))}


def _patient_codes(session: Session, study_id: int, ids: set[int]) -> dict[int, str]:
    """Study codes of those patients that belong to this study."""
    table = Patient.__table__
    if not ids:
        return {}
    return {int(i): str(c) for i, c in session.connection().execute(
        select(table.c.id, table.c.study_code).where(table.c.study_id == study_id,
                                                     table.c.id.in_(ids)))}


def patient_of_code(session: Session, study_id: int, code: str | None) -> int | None:
    """The id of the study's patient with this code (in any case), or None."""
    if not code:
        return None
    table = Patient.__table__
    return session.connection().execute(select(table.c.id).where(
        table.c.study_id == study_id,
        func.upper(table.c.study_code) == code.strip().upper())).scalar()
