"""The SQLite report's reader process: ADBC reads, in a process of their own.

Run by :class:`clinic.reports.arrow.ArrowReads` as ``python -I arrow_reader.py FILE
BATCH_ROWS``; it imports nothing of the app. It opens FILE with the ADBC SQLite driver
in one read transaction (autocommit off: one snapshot for every query), then answers
each line of its input, a JSON ``[sql, parameters]``, with ``OK`` and the rows as an
Arrow IPC stream, or with ``ERR`` and the driver's message as JSON, on one line. It
ends, rolling back, when its input closes.

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


def main() -> None:
    import adbc_driver_sqlite.dbapi as driver
    import pyarrow as pa

    path, batch_rows = sys.argv[1], sys.argv[2]
    out = sys.stdout.buffer
    with driver.connect(path) as connection:
        for line in sys.stdin.buffer:
            sql, parameters = json.loads(line)
            try:
                with connection.cursor() as cursor:
                    cursor.adbc_statement.set_options(
                        **{"adbc.sqlite.query.batch_rows": batch_rows})
                    cursor.execute(sql, parameters or None)
                    table = cursor.fetch_arrow_table()
            except (driver.Error, OSError) as error:  # OSError: a type mismatch
                out.write(b"ERR " + json.dumps(str(error)).encode() + b"\n")
                out.flush()
                continue
            out.write(b"OK\n")
            writer = pa.ipc.new_stream(out, table.schema)
            writer.write_table(table)
            writer.close()
            out.flush()
            del table
        connection.rollback()


if __name__ == "__main__":
    main()
