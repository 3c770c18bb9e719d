"""The study's audit trail out: CSV and XLSX for people (labels, names, the clinic's
time zone; formula-like text never runs, see clinic.reports.safe_cells), JSON lines
for machines. Rows stream from clinic.audit.trail, so any size fits in memory."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO, Any

from clinic.audit.trail import COLUMNS, TrailRow
from clinic.reports.safe_cells import neutralise, write_safe_row

FORMATS = ("csv", "xlsx", "json")
MEDIA_TYPES = {"csv": "text/csv",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "json": "application/x-ndjson"}


def write_csv(rows: Iterable[TrailRow], zone: str, out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        writer.writerow([neutralise(v) for v in row.cells(zone)])
        count += 1
    return count


def write_json_lines(rows: Iterable[TrailRow], out: IO[str]) -> int:
    """One JSON object per line, times in UTC (ISO 8601)."""
    count = 0
    for row in rows:
        out.write(json.dumps(row.as_json(), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_xlsx(rows: Iterable[TrailRow], zone: str, out: IO[bytes], title: str) -> int:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet: Any = book.create_sheet("Audit trail")
    sheet.append([title])
    sheet.append(list(COLUMNS))
    count = 0
    for row in rows:
        write_safe_row(sheet, row.cells(zone))
        count += 1
    book.save(out)
    return count
