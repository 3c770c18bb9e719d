"""SQLite: a query's rows as columns through ADBC (Arrow Database Connectivity).

Python's ``sqlite3`` makes a Python object per cell; at 200,000 patients the report's
reads (1.2 million visits, 2.25 million scores) took 11.5 of its 19.5 seconds that way,
5.7 of them in the driver's ``fetchmany`` alone. The ADBC SQLite driver (Apache Arrow)
reads the same rows into Arrow columns in C. It runs in a reader process of its own
(:mod:`clinic.reports.arrow_reader`, which says why; a large study's reads in two,
:class:`PairedReads`), and hands each query's columns over as an Arrow IPC stream. The
frame is the one the row-by-row reader (:func:`clinic.reports.data.cursor_frame`)
makes, cell for cell: numbers as int64 (or float64 with NaN where a value is missing)
and float64; texts, dates, timestamps and booleans through the same SQLAlchemy result
processors, run once per distinct value, equal values shared as one object.

The reader reads in one read transaction (WAL: a snapshot of the database, the same for
every query of the report, as its first read found it). So it is used only where that
snapshot is the session's own data: a database file (not ``:memory:``), and a session
with no write of its own pending or uncommitted; and only for a study large enough to
be worth starting a process. Anything the columns cannot give exactly as the cursor
would (a number column holding text, a parameter list expanded at run time, no rows,
a reader that stopped) makes :meth:`ArrowReads.frame` return ``None``, and the caller
reads through the cursor.

PostgreSQL keeps its COPY reader: its ADBC driver (``COPY … (FORMAT binary)`` into Arrow)
was tried on the same 200,000 patients and read them no faster (3.7 s against 3.8 s;
the server's side of the two largest reads alone takes 1.5 s).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, String, func, select
from sqlmodel import Session

from clinic.models import Enrollment
from clinic.reports.arrow_reader import READY

log = logging.getLogger("clinic.reports")
READER = Path(__file__).with_name("arrow_reader.py")
SESSION_KEY = "clinic.reports.arrow"
MIN_PATIENTS = 5_000  # below, the cursor reads a study in well under a second
BATCH_ROWS = str(100_000_000)  # one batch: the driver types each column from all its values
BEGIN = json.dumps(["SELECT count(*) FROM sqlite_master", []]).encode() + b"\n"  # a 1st read
INTEGER_TYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


class ArrowReads:
    """A reader process (:mod:`clinic.reports.arrow_reader`) in one read transaction;
    :meth:`frame` reads a query through it."""

    batch_rows = BATCH_ROWS

    def __init__(self, connection: Any, path: str) -> None:
        self.dialect = connection.dialect
        self.failed = False
        self.started = False  # its READY read
        self.sent: list[bytes] = []  # queries sent whose answers are not read yet, in order
        self.ready: dict[bytes, Any] = {}  # answers read, not asked for yet
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115  (closed in close())
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(READER), path, self.batch_rows],  # -I: not its folder
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors)

    def close(self, wait: bool = True) -> None:
        """End the reader: its input closes (it rolls back and exits), and so does its
        output, should it be writing the rows of a query read ahead and not asked for.
        ``wait=False``: it is left to exit (call ``close()`` again to wait for it)."""
        for pipe in (self.process.stdin, self.process.stdout):
            with suppress(OSError):  # a reader that stopped: its input is a broken pipe
                pipe.close()  # type: ignore[union-attr]
        if not wait:
            return
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        finally:
            self.errors.close()

    def send(self, stmt: Select[Any], beside: bool = False) -> None:
        """Ask for a query's rows ahead: the reader runs it while this process works.
        (``beside``: for :class:`PairedReads`; one reader runs every query.)"""
        line = self._line(stmt)
        if line is not None and not self.failed and not self.holds(line):
            self._guarded(lambda: self._write(line))

    def holds(self, line: bytes) -> bool:
        """Was the query of ``line`` sent to this reader, its answer not taken yet?"""
        return line in self.sent or line in self.ready

    def wait_ready(self) -> bool:
        """Wait for the reader to have started (False: it could not)."""
        return self._guarded(self._started) is not None

    def begin(self) -> bool:
        """Take the reader's snapshot now, with a first read (False: it could not)."""
        return self._guarded(lambda: self._answer_to(BEGIN)) is not None

    def frame(self, stmt: Select[Any]) -> pd.DataFrame | None:
        line = self._line(stmt)
        if line is None or self.failed:
            return None
        table = self._guarded(lambda: self._answer_to(line))
        if table is None or table.num_rows == 0:
            return None  # no rows: the cursor reader types an empty frame
        columns = [c.key for c in stmt.selected_columns]
        out = pd.DataFrame(index=pd.RangeIndex(table.num_rows))
        for i, (name, selected) in enumerate(zip(columns, stmt.selected_columns, strict=True)):
            column = self._column(table.column(i), selected.type)
            if column is None:
                return None
            out[name] = column
        return out

    def _line(self, stmt: Select[Any]) -> bytes | None:
        query = self._query(stmt)
        if query is None:
            return None
        try:
            return json.dumps(query).encode() + b"\n"
        except TypeError:  # a parameter JSON cannot carry
            return None

    def _write(self, line: bytes) -> None:
        self.process.stdin.write(line)  # type: ignore[union-attr]
        self.process.stdin.flush()  # type: ignore[union-attr]
        self.sent.append(line)

    def _answer_to(self, line: bytes) -> Any:
        """The query's rows as an Arrow table, or None if the reader could not give them
        (say, a column typed by its first batch meets another type in the next: the
        cursor then reads it, or says why not). Answers to queries sent before it are
        kept for when they are asked."""
        if line not in self.sent and line not in self.ready:
            self._write(line)
        while line not in self.ready:
            self.ready[self.sent[0]] = self._next_answer()
            self.sent.pop(0)
        return self.ready.pop(line)

    def _started(self) -> bool:
        if not self.started:
            if self.process.stdout.readline() != READY:  # type: ignore[union-attr]
                raise OSError("the reader process did not start")
            self.started = True
        return True

    def _next_answer(self) -> Any:
        import pyarrow as pa

        self._started()
        status = self.process.stdout.readline()  # type: ignore[union-attr]
        if status.startswith(b"ERR "):
            return None
        if status != b"OK\n":
            raise OSError("the reader process stopped")
        return pa.ipc.open_stream(self.process.stdout).read_all()

    def _guarded(self, step: Callable[[], Any]) -> Any:
        import pyarrow as pa

        try:
            return step()
        except (OSError, ValueError, pa.ArrowException) as error:
            self.failed = True  # the rest is read through the cursor
            self.errors.seek(0)
            log.warning("The report's Arrow reader failed (%s); reading through the "
                        "cursor. %s", error, self.errors.read()[-2000:].decode(errors="replace"))
            return None

    def _query(self, stmt: Select[Any]) -> tuple[str, list[Any]] | None:
        compiled = stmt.compile(dialect=self.dialect)
        if "POSTCOMPILE" in compiled.string or compiled.positiontup is None:
            return None  # an IN list expanded when run: left to the cursor
        values = compiled.construct_params()
        parameters = []
        for key in compiled.positiontup:
            kind = compiled.binds[key].type.dialect_impl(self.dialect)
            process = kind.bind_processor(self.dialect)
            parameters.append(process(values[key]) if process else values[key])
        return compiled.string, parameters

    def _column(self, values: Any, column_type: Any) -> pd.Series | None:
        process = column_type.dialect_impl(self.dialect).result_processor(self.dialect, None)
        kind = number_kind(column_type)
        arrow_type = _arrow_type(values)
        if kind is not None and process is None:
            return _numbers(values, kind, arrow_type)
        if is_text(column_type) and arrow_type not in ("string", "large_string", "null") \
                and values.null_count != len(values):
            return None  # a text column holding numbers: as the cursor reads it
        if process is None and not is_text(column_type) and arrow_type != "string":
            return None  # a computed column of numbers: left to the cursor's typing
        return _shared(values, process, text=is_text(column_type))


class PairedReads:
    """Two reader processes in one snapshot: the study's two largest reads (its visits
    and their scores, 2 of the 3 seconds of reads at 200,000 patients) run in the second
    beside the others in the first, on the machine's other core.

    Each reader's snapshot is the database as its first read finds it. Both readers
    are started (their imports: most of their start), then this process notes the
    database's ``data_version`` (SQLite: it changes when another connection commits),
    both take their snapshot with a first read, and the version is read again: unchanged,
    nothing was committed between the two snapshots, which are then the same. Changed,
    the second reader is closed and every read goes to the first, as with one reader."""

    def __init__(self, connection: Any, path: str) -> None:
        self.path = path
        self.first = ArrowReads(connection, path)
        self.second: ArrowReads | None = ArrowReads(connection, path)
        self.ended: list[ArrowReads] = []  # closed, their exit not waited for yet
        self.checked = False

    @property
    def failed(self) -> bool:
        return self.first.failed

    @property
    def readers(self) -> list[ArrowReads]:
        return [r for r in (self.first, self.second) if r is not None]

    def send(self, stmt: Select[Any], beside: bool = False) -> None:
        if not self.checked:
            self.one_snapshot()
        (self.second if beside and self.second is not None else self.first).send(stmt)

    def frame(self, stmt: Select[Any]) -> pd.DataFrame | None:
        """The query's rows from the reader it was sent to. A reader left with nothing to
        answer ends as its last answer is taken, its memory given back, the other going
        on alone (a query not sent ahead goes to whichever is left)."""
        if not self.checked:
            self.one_snapshot()
        line = self.first._line(stmt)
        second = self.second
        reader = second if second is not None and line is not None and second.holds(line) \
            else self.first
        out = reader.frame(stmt)
        if second is not None and not reader.sent and not reader.ready:
            reader.close(wait=False)  # (its exit is waited for at the end: 0.1 s)
            self.ended.append(reader)
            self.first, self.second = (second if reader is self.first else self.first), None
        return out

    def one_snapshot(self) -> bool:
        """Both readers in one snapshot, or the second closed (see the class's note).
        True: the two read side by side."""
        self.checked = True
        second = self.second
        if second is None or not (self.first.wait_ready() and second.wait_ready()):
            return self._alone()
        with closing(sqlite3.connect(self.path)) as watch:
            before = _data_version(watch)
            began = self.first.begin() and second.begin()
            if not began or _data_version(watch) != before:
                return self._alone()
        return True

    def _alone(self) -> bool:
        if self.second is not None:
            self.second.close()
            self.second = None
        return False

    def close(self) -> None:
        for reads in [*self.readers, *self.ended]:
            reads.close()
        self.ended = []


def _data_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA data_version").fetchone()[0])


def _arrow_type(values: Any) -> str:
    """The column's type as the driver gave it, before the reader's compaction
    (:func:`clinic.reports.arrow_reader._compact`): a dictionary-encoded text column is
    typed by its values (it stays encoded: :func:`_shared` encodes text so anyway); a
    column of NULL only comes as Arrow's null type, read as the driver's all-NULL int64
    was (``test_columns_of_null_only_read_as_the_cursor_reads_them``)."""
    import pyarrow as pa

    kind = values.type.value_type if pa.types.is_dictionary(values.type) else values.type
    return str(kind)


def _numbers(values: Any, kind: type, arrow_type: str) -> pd.Series | None:
    """int64 without NULL, float64 (NaN for NULL) otherwise: as the cursor reader."""
    if arrow_type == "null" or values.null_count == len(values):
        return pd.Series(np.full(len(values), np.nan))
    if arrow_type not in (*INTEGER_TYPES, "double", "float"):
        return None  # text stored in a number column
    if kind is int and arrow_type not in INTEGER_TYPES:
        return None  # a fraction in an integer column
    if kind is int and values.null_count == 0:
        return pd.Series(values.to_numpy().astype(np.int64, copy=False))
    return pd.Series(values.to_numpy().astype(np.float64))


def _shared(values: Any, process: Any, text: bool) -> pd.Series:
    """Each distinct value processed once; rows take the shared object (None for NULL).
    A column is text if its type is, or (a computed column) if its values are."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values).combine_chunks()
    distinct = encoded.dictionary.to_pylist()
    if process is not None:
        distinct = [process(v) for v in distinct]
    codes = encoded.indices.fill_null(len(distinct)).to_numpy()
    if text or any(isinstance(v, str) for v in distinct):
        lookup = np.empty(len(distinct) + 1, dtype=object)
        lookup[:-1] = distinct
        return pd.Series(lookup.take(codes), dtype=object)
    # typed by pandas as it types the cursor reader's list of the processed values
    nulls = values.null_count > 0
    typed = pd.Series([*distinct, None] if nulls else distinct or [None])
    return typed.take(codes if nulls else np.minimum(codes, len(distinct) - 1)
                      ).reset_index(drop=True)


def number_kind(column_type: Any) -> type | None:
    """int or float for a column of integers or floats (as the cursor reader types it)."""
    try:
        kind = column_type.python_type
    except NotImplementedError:
        return None
    return kind if kind in (int, float) else None


def is_text(column_type: Any) -> bool:
    return isinstance(getattr(column_type, "impl", column_type), String)


def _database_file(session: Session) -> str | None:
    """The SQLite file the session reads, if it may be read on a connection of its own."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return None
    path = connection.engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    if session.new or session.dirty or session.deleted:
        return None  # writes not flushed: the other connection would not see them
    if getattr(connection.connection.dbapi_connection, "in_transaction", True):
        return None  # written, not committed
    return path


@contextmanager
def arrow_reads(session: Session, study_id: int | None = None) -> Iterator[None]:
    """While open, the session's report reads (:func:`clinic.reports.data._frame`) on
    SQLite go through a reader process where they can (see the module's note). With
    ``study_id``, only for a study of more than :data:`MIN_PATIENTS` patients: starting
    the process takes about 0.1 s."""
    path = _database_file(session)
    if path is None or SESSION_KEY in session.info or (
            study_id is not None and _patients(session, study_id) <= MIN_PATIENTS):
        yield
        return
    reads = (ArrowReads if study_id is None else PairedReads)(session.connection(), path)
    session.info[SESSION_KEY] = reads
    try:
        yield
    finally:
        end_reads(session)


def end_reads(session: Session) -> None:
    """The session's last read through its reader process is done: the process ends
    now rather than when :func:`arrow_reads` closes (at 200,000 patients it held 125 MiB
    while the report's data were put together). Later reads go through the cursor."""
    reads: ArrowReads | PairedReads | None = session.info.pop(SESSION_KEY, None)
    if reads is not None:
        reads.close()


def _patients(session: Session, study_id: int) -> int:
    return session.execute(select(func.count()).select_from(Enrollment).where(
        Enrollment.study_id == study_id)).scalar_one()


def prefetch(session: Session, stmts: list[Select[Any]], beside: bool = False) -> None:
    """Send the queries the session will read, in the order it will read them, to its
    reader process (if it has one): each runs while this process works on the last.
    ``beside``: large ones, for a second reader (:class:`PairedReads`)."""
    reads: ArrowReads | PairedReads | None = session.info.get(SESSION_KEY)
    for stmt in stmts if reads is not None else ():
        reads.send(stmt, beside=beside)


def reads_in_bulk(session: Session) -> bool:
    """Does a reader process read the session's report (a large study on SQLite)?"""
    return SESSION_KEY in session.info


def arrow_frame(session: Session, stmt: Select[Any]) -> pd.DataFrame | None:
    reads: ArrowReads | PairedReads | None = session.info.get(SESSION_KEY)
    return None if reads is None else reads.frame(stmt)
