"""PostgreSQL: a query's rows as columns through ``COPY … TO STDOUT`` and pandas' CSV parser.

Fetching millions of rows through the driver makes a Python object per cell; COPY sends
the rows as text, which pandas' C parser turns into columns (the report's two largest
reads at 200,000 patients, 1.2 million visits and 2.25 million scores, in less than
half the time). The frame is the one the row-by-row reader makes: numbers as int64 (or
float64 with NaN where a value is missing) and float64, texts and dates as numpy
``object`` with ``None`` for NULL, equal values shared as one object.

Only queries whose columns are integers, floats, booleans, texts, dates or the app's UTC
timestamps are copied; for any other column type (decimals, other timestamps)
``copied_frame`` returns ``None`` and the caller reads the rows from the cursor.
"""

from __future__ import annotations

import csv
import io
import re
import select
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import pq
from sqlalchemy import Select, String, exc

from clinic.models.base import UTCDateTime

READ_BYTES = 1 << 20
COPY_FORMAT = "(FORMAT text)"  # tab-separated, NULL as \\N, backslash escapes
ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", re.DOTALL)


def copied_frame(connection: Any, stmt: Select[Any]) -> pd.DataFrame | None:
    kinds = [_kind(c.type) for c in stmt.selected_columns]
    if None in kinds:
        return None
    try:
        sql = str(stmt.compile(dialect=connection.dialect,
                               compile_kwargs={"literal_binds": True}))
    except exc.CompileError:  # a parameter with no literal form
        return None
    raw = connection.connection.dbapi_connection
    with raw.cursor() as cursor:
        # the text form of dates and floats the parsing below expects, this transaction only
        cursor.execute("SET LOCAL datestyle = 'ISO'; SET LOCAL extra_float_digits = 1; "
                       "SET LOCAL timezone = 'UTC'")
    columns = [c.key for c in stmt.selected_columns]
    with CopyOut(raw.pgconn, f"COPY ({sql}) TO STDOUT {COPY_FORMAT}") as rows:
        try:
            parsed = pd.read_csv(
                io.BufferedReader(rows, READ_BYTES), sep="\t", header=None,
                names=list(range(len(columns))), quoting=csv.QUOTE_NONE,
                na_values=["\\N"], keep_default_na=False, skip_blank_lines=False,
                dtype={i: ("category" if k in (str, date, datetime, bool) else "float64"
                           if k is float
                           else None) for i, k in enumerate(kinds) if k is not int})
        except pd.errors.EmptyDataError:
            parsed = None
    if parsed is None or parsed.empty:
        return None  # no rows: the cursor reader types an empty frame
    out = pd.DataFrame(index=pd.RangeIndex(len(parsed)))
    for i, (name, kind) in enumerate(zip(columns, kinds, strict=True)):
        out[name] = _column(parsed.pop(i), kind)  # a block each: no copy into one
    return out


class CopyOut(io.RawIOBase):
    """The rows of ``COPY … TO STDOUT`` as a byte stream, read from libpq directly.

    psycopg's ``Copy`` object goes through a Python generator for each row, which took
    more than half of the read; ``PGconn.get_copy_data`` hands over a row per call. The
    statement runs on the connection's open transaction. On leaving the ``with`` block
    every remaining row and result is consumed, so the connection is ready for the next
    statement whatever happened."""

    def __init__(self, pgconn: Any, sql: str) -> None:
        super().__init__()
        self.pgconn = pgconn
        self.sql = sql
        self.pending = b""
        self.ended = False
        self.poll: select.poll | None = None

    def __enter__(self) -> CopyOut:
        self.pgconn.send_query(self.sql.encode())
        while self.pgconn.is_busy():  # (waiting here, not in libpq: see _wait)
            self._wait()
        result = self.pgconn.get_result()
        if result is None or result.status != pq.ExecStatus.COPY_OUT:
            self._drain()
            raise psycopg.OperationalError(_message(result, self.pgconn))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._drain()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = len(buffer)
        parts, size = [self.pending], len(self.pending)
        while size < want and not self.ended:
            count, row = self.pgconn.get_copy_data(1)  # (1: without waiting)
            if count == 0:
                self._wait()
            elif count == -1:
                self.ended = True
            elif count < 0:
                raise psycopg.OperationalError(self.pgconn.error_message.decode(
                    errors="replace"))
            else:
                parts.append(bytes(row))
                size += count
        chunk = b"".join(parts)
        buffer[:min(size, want)] = chunk[:want]
        self.pending = chunk[want:]
        return min(size, want)

    def _wait(self) -> None:
        """Wait for the server's next rows in ``poll``, which lets go of the GIL. libpq's
        own wait holds it: a report job is a thread of a web worker, whose other threads
        stood still while the server worked on the report's rows (``poll``, not
        ``select``: a busy worker's sockets may be numbered past 1024)."""
        if self.poll is None:
            self.poll = select.poll()
            self.poll.register(self.pgconn.socket, select.POLLIN)
        self.poll.poll()
        self.pgconn.consume_input()

    def _drain(self) -> None:
        failure = None
        while not self.ended:
            count, _row = self.pgconn.get_copy_data(1)
            if count == 0:
                self._wait()
            self.ended = count < 0
        while self.pgconn.is_busy():
            self._wait()
        while (result := self.pgconn.get_result()) is not None:
            if result.status == pq.ExecStatus.FATAL_ERROR:
                failure = _message(result, self.pgconn)
        if failure:
            raise psycopg.OperationalError(failure)


def _message(result: Any, pgconn: Any) -> str:
    text = result.error_message if result is not None else pgconn.error_message
    return bytes(text).decode(errors="replace") or "COPY did not start"


def _kind(column_type: Any) -> type | None:
    if isinstance(getattr(column_type, "impl", column_type), String):
        return str
    if isinstance(column_type, UTCDateTime):
        return datetime
    try:
        kind = column_type.python_type
    except NotImplementedError:
        return None
    return kind if kind in (int, float, date, bool) else None


def _column(values: pd.Series, kind: type) -> pd.Series:
    if kind is int or kind is float:
        return values
    categories = values.cat.categories.to_numpy(dtype=object)
    if kind is bool:
        if values.isna().any():
            return pd.Series(np.array([None, True, False], dtype=object)[
                values.map({"t": 1, "f": 2}).astype(float).fillna(0).to_numpy(dtype=int)],
                dtype=object)
        return pd.Series((values == "t").to_numpy(dtype=bool))
    if kind is datetime:  # UTCDateTime: aware, in UTC (the session's zone is UTC here),
        # typed by pandas as it types the cursor reader's list of them; NULL last
        moments = pd.Series([*(datetime.fromisoformat(v).astimezone(UTC) for v in categories),
                             None])
        return moments.take(values.cat.codes.to_numpy()).reset_index(drop=True)
    if kind is date:
        shared = [date.fromisoformat(v) for v in categories]
    else:
        shared = [_unescape(v) if "\\" in v else v for v in categories]
    lookup = np.empty(len(shared) + 1, dtype=object)  # the last one, at code -1: NULL
    lookup[:-1] = shared
    return pd.Series(lookup.take(values.cat.codes.to_numpy()), dtype=object)


def _unescape(text: str) -> str:
    """A text value as COPY's text format wrote it, backslash escapes undone."""
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] == "x" and len(code) > 1:
            return chr(int(code[1:], 16))
        if code[0] in "01234567":
            return chr(int(code, 8))
        return ESCAPES.get(code, code)

    return ESCAPE.sub(one, text)
