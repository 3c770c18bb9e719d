"""The audit trail as a hash chain: sealing new events, and verifying the whole chain.

Events are written by the audit listener as their change commits, without a hash. A
*seal* (the scheduler every minute, ``flask --app clinic audit seal``, and the start of
``audit verify``) takes the committed events not sealed yet, oldest id first, and gives
each the next sequence number, the hash of its predecessor and its own hash
(clinic.audit.hashing). The chain's end is kept in ``audit_chain``.

The values behind identity changes (``identity_audit_event``: names, phone numbers,
consent) form a second chain the same way, with its own numbers and its own end
(:data:`IDENTITY`); :func:`seal_all` and :func:`verify_all` take both.

Sealing after the commit, not while writing, keeps clinical writes from queueing on
one chain head, and a rolled-back transaction never takes a number: a missing number
is always a removed event. Before and after its seal an event is guarded by the
database itself (migration 0025): triggers refuse every DELETE and every UPDATE other
than the seal's, so the chain is the second line, for someone able to drop them.

``verify`` walks the chain in sequence order and names every event whose fields no
longer give its hash (edited), every missing sequence number (deleted), every broken
link, and a chain end that does not match its last event (the newest events removed).
Someone able to rewrite the whole table and its end could forge a consistent chain:
the head hash that ``verify`` prints is the value to write down or send away to rule
that out later.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from clinic.audit.hashing import GENESIS, HASHED_FIELDS, IDENTITY_HASHED_FIELDS, event_hash
from clinic.models.audit import AuditChain, AuditEvent, IdentityAuditEvent
from clinic.models.base import utcnow
from clinic.reminders.rows import insert_ignore

HEAD = AuditChain.__table__
SEAL_BATCH = 5_000
READ_BATCH = 5_000
MAX_PROBLEMS = 100  # listed; the count covers all of them


@dataclass(frozen=True)
class Chain:
    """One hash chain: its events' table, the fields hashed, its row in audit_chain."""

    title: str
    table: Any
    fields: tuple[str, ...]
    head_id: int

    @property
    def columns(self) -> list[Any]:
        return [self.table.c[name] for name in self.fields]


AUDIT = Chain("Audit trail", AuditEvent.__table__, HASHED_FIELDS, 1)
IDENTITY = Chain("Identity changes", IdentityAuditEvent.__table__, IDENTITY_HASHED_FIELDS, 2)
CHAINS = (AUDIT, IDENTITY)


def seal(session: Session, *, limit: int | None = None, chain: Chain = AUDIT) -> int:
    """Seal the committed events of ``chain`` not sealed yet (at most ``limit``); returns
    how many. The caller commits; two seals at once wait for each other on the end."""
    sealed = 0
    while limit is None or sealed < limit:
        batch = SEAL_BATCH if limit is None else min(SEAL_BATCH, limit - sealed)
        done = _seal_batch(session, chain, batch)
        sealed += done
        if done < batch:
            break
    return sealed


def seal_all(session: Session) -> int:
    """Seal both chains (the scheduler's job, ``audit seal``); returns how many events."""
    return sum(seal(session, chain=chain) for chain in CHAINS)


def _seal_batch(session: Session, chain: Chain, batch: int) -> int:
    last_seq, last_hash = _take_head(session, chain)
    table = chain.table
    rows = session.connection().execute(
        select(*chain.columns).where(table.c.seq.is_(None)).order_by(table.c.id)
        .limit(batch)).mappings().all()
    if not rows:
        return 0
    updates = []
    for row in rows:
        last_seq += 1
        row_hash = event_hash(last_hash, last_seq, row, chain.fields)
        updates.append({"event_id": row["id"], "seq": last_seq, "prev_hash": last_hash,
                        "row_hash": row_hash})
        last_hash = row_hash
    session.connection().execute(
        update(table).where(table.c.id == bindparam("event_id"))
        .values(seq=bindparam("seq"), prev_hash=bindparam("prev_hash"),
                row_hash=bindparam("row_hash")), updates)
    session.connection().execute(update(HEAD).where(HEAD.c.id == chain.head_id).values(
        last_seq=last_seq, last_hash=last_hash))
    return len(rows)


def _take_head(session: Session, chain: Chain) -> tuple[int, str]:
    """The chain's end, write-locked for this transaction (an UPDATE first: SQLite takes
    its write lock, PostgreSQL the row's). Created at the genesis if missing (two seals
    creating it at once: one inserts, both then update it in turn)."""
    connection = session.connection()
    take = update(HEAD).where(HEAD.c.id == chain.head_id).values(sealed_at=utcnow())
    if connection.execute(take).rowcount == 0:  # type: ignore[attr-defined]
        insert_ignore(session, AuditChain, {"id": chain.head_id, "last_seq": 0,
                                            "last_hash": GENESIS}, ("id",))
        connection.execute(take)
    row = connection.execute(select(HEAD.c.last_seq, HEAD.c.last_hash)
                             .where(HEAD.c.id == chain.head_id)).one()
    return int(row.last_seq), str(row.last_hash)


@dataclass
class ChainReport:
    title: str = AUDIT.title
    events: int = 0  # sealed events read
    unsealed: int = 0  # committed, not sealed yet
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0

    @property
    def intact(self) -> bool:
        return self.problem_count == 0

    def add(self, problem: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def describe(self) -> str:
        if self.intact:
            text = (f"{self.title} intact: {self.events:,} events in an unbroken chain, "
                    f"ending at #{self.head_seq} {self.head_hash}.")
        else:
            text = (f"{self.title} BROKEN: {self.problem_count:,} problem(s) in "
                    f"{self.events:,} sealed events:\n" + "\n".join(
                        f"  - {p}" for p in self.problems))
            if self.problem_count > len(self.problems):
                text += f"\n  … and {self.problem_count - len(self.problems):,} more"
        if self.unsealed:
            text += f"\n{self.unsealed:,} newer events are not sealed yet."
        return text


def verify(session: Session, chain: Chain = AUDIT) -> ChainReport:
    """Recompute ``chain`` over every sealed event (read-only)."""
    report = ChainReport(title=chain.title)
    expected_seq, prev = 1, GENESIS
    for row in _sealed_events(session, chain):
        report.events += 1
        seq = row["seq"]
        if seq != expected_seq:
            report.add(f"events #{expected_seq}–#{seq - 1} are missing: removed from the "
                       "table" if seq > expected_seq + 1 else
                       f"event #{expected_seq} is missing: removed from the table")
        elif row["prev_hash"] != prev:
            report.add(f"event {_name(row)} does not follow on from event #{seq - 1}: the "
                       "link between them was changed")
        if event_hash(row["prev_hash"] or "", seq, row, chain.fields) != row["row_hash"]:
            report.add(f"event {_name(row)} was changed after it was sealed "
                       "(its fields no longer give its hash)")
        expected_seq, prev = seq + 1, row["row_hash"]
    _check_end(session, chain, report, expected_seq - 1, prev)
    table = chain.table
    report.unsealed = int(session.connection().execute(
        select(func.count()).select_from(table).where(table.c.seq.is_(None))).scalar_one())
    return report


def verify_all(session: Session) -> list[ChainReport]:
    return [verify(session, chain) for chain in CHAINS]


def _sealed_events(session: Session, chain: Chain) -> Iterator[Any]:
    """Every sealed event in sequence order, read in keyset pages (bounded memory)."""
    table = chain.table
    columns = [*chain.columns, table.c.seq, table.c.prev_hash, table.c.row_hash]
    after = 0
    while True:
        rows = session.connection().execute(
            select(*columns).where(table.c.seq > after).order_by(table.c.seq)
            .limit(READ_BATCH)).mappings().all()
        yield from rows
        if len(rows) < READ_BATCH:
            return
        after = rows[-1]["seq"]


def _check_end(session: Session, chain: Chain, report: ChainReport, last_seq: int,
               last_hash: str) -> None:
    head = session.connection().execute(
        select(HEAD.c.last_seq, HEAD.c.last_hash).where(HEAD.c.id == chain.head_id)).first()
    head_seq, head_hash = (int(head.last_seq), str(head.last_hash)) if head else (0, GENESIS)
    report.head_seq, report.head_hash = head_seq, head_hash
    if head_seq > last_seq:
        report.add(f"the newest sealed events #{last_seq + 1}–#{head_seq} are missing: "
                   "removed from the table")
    elif head_seq < last_seq:
        report.add(f"events #{head_seq + 1}–#{last_seq} carry sequence numbers the chain "
                   "never gave out: written into the table around the app")
    elif head_hash != last_hash:
        report.add(f"the chain's end does not match event #{last_seq}: the newest event "
                   "or the chain's end was changed")


def _name(row: Any) -> str:
    what = f"{row['action']} {row['entity']} {row['entity_id']}"
    if row["field"]:
        what += f" {row['field']}"
    return f"#{row['seq']} (id {row['id']}: {what})"
