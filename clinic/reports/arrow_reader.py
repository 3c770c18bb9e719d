"""The SQLite report's reader process: ADBC reads, in a process of their own.

Run by :class:`clinic.reports.arrow.ArrowReads` as ``python -I arrow_reader.py FILE
BATCH_ROWS``; it imports nothing of the app, nor pandas. It opens FILE with the ADBC
SQLite driver in one read transaction (autocommit off: one snapshot for every query),
says ``READY`` on
a line of its own, then answers each line of its input, a JSON ``[sql, parameters]``,
with ``OK`` and the rows as an Arrow IPC stream, or with ``ERR`` and the driver's
message as JSON, on one line. It ends, rolling back, when its input closes.

Why a process: the ADBC driver links its own copy of SQLite. Two copies of SQLite in
one process do not see each other's file locks (POSIX locks belong to the process), so
the driver, closing what it took for the database's last connection, removed the WAL
index the app's own connections were using: their next query failed with "disk I/O
error" (https://www.sqlite.org/howtocorrupt.html, section 2.2.1). In a process of its
own it is one more reader, as SQLite expects.
"""

from __future__ import annotations

import json
import sys
from typing import Any

READY = b"READY\n"


def main() -> None:
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite
    import pyarrow as pa

    path, batch_rows = sys.argv[1], sys.argv[2]
    out = sys.stdout.buffer
    database = adbc_driver_sqlite.connect(path)
    connection = adbc.AdbcConnection(database)
    connection.set_autocommit(False)  # one read transaction: one snapshot, from its first read
    out.write(READY)  # (its imports took most of its start: the report may now time its reads)
    out.flush()
    try:
        for line in sys.stdin.buffer:
            sql, parameters = json.loads(line)
            try:
                table = _compact(_read(connection, sql, parameters, batch_rows))
            except (adbc.Error, OSError) as error:  # OSError: a type mismatch
                out.write(b"ERR " + json.dumps(str(error)).encode() + b"\n")
                out.flush()
                continue
            out.write(b"OK\n")
            writer = pa.ipc.new_stream(out, table.schema)
            writer.write_table(table)
            writer.close()
            out.flush()
            del table  # its memory, from the driver's malloc and Arrow's pool, given back:
            pa.default_memory_pool().release_unused()  # this process idles between reads
            _malloc_trim(0)
        connection.rollback()
    finally:
        connection.close()
        database.close()


def _malloc_trim(pad: int) -> None:
    """glibc's ``malloc_trim`` (see :mod:`clinic.reports.memory`); elsewhere nothing."""
    import ctypes

    trim = getattr(ctypes.CDLL(None), "malloc_trim", None) if sys.platform == "linux" \
        else None
    if trim is not None:
        trim(pad)


def _read(connection: Any, sql: str, parameters: list[Any], batch_rows: str) -> Any:
    """The query's rows as one Arrow table, through ADBC's own statement API. (Its DB-API
    module imports pandas, 54 MiB this process has no use for.)"""
    import adbc_driver_manager as adbc
    import pyarrow as pa

    statement = adbc.AdbcStatement(connection)
    try:
        statement.set_options(**{"adbc.sqlite.query.batch_rows": batch_rows})
        statement.set_sql_query(sql)
        if parameters:  # positional, one row: as the DB-API module binds them
            statement.bind(pa.record_batch([[value] for value in parameters],
                                           names=[str(i) for i in range(len(parameters))]))
        stream, _rows = statement.execute_query()
        return pa.RecordBatchReader.from_stream(stream).read_all()
    finally:
        statement.close()


def _compact(table: Any) -> Any:
    """The same columns, smaller on the way to the report process: text columns
    dictionary-encoded (their values are few: codes, states, dates; the report process
    encodes them so anyway) and columns of NULL only, which the driver types as int64,
    as Arrow's null type, which carries no buffer. At 200,000 patients the visits'
    columns cross as 45 MiB instead of 127, the scores' as 77 instead of 109."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = table.columns
    names, schema = table.column_names, table.schema
    del table  # each original column is freed as its compact one replaces it
    for i, column in enumerate(columns):
        if column.num_chunks != 1:
            continue
        if column.type == pa.int64() and column.null_count == len(column):
            columns[i] = pa.chunked_array([pa.nulls(len(column))])
        elif column.type in (pa.string(), pa.large_string()):
            columns[i] = pc.dictionary_encode(column)
    return pa.table(columns, names=names, metadata=schema.metadata)


if __name__ == "__main__":
    main()
