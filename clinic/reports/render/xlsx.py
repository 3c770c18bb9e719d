"""The report as an XLSX workbook: one sheet per table, plus the data set and its dictionary."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from clinic.reports.builder import Report
from clinic.reports.safe_cells import XLSX_NOTE, with_note, write_safe_row
from clinic.reports.tables import Table

SHEET_NAMES = {"flow": "Flow", "table1": "Table 1", "table2": "Table 2", "table3": "Table 3",
               "table4": "Table 4", "table5": "Table 5", "table6": "Table 6",
               "appendix": "Appendix"}
BOLD = Font(bold=True)


def _header(table: Table) -> tuple[list[str], list[tuple[int, str]]]:
    """Column titles and, per table column, which parts it gets (text, n, test)."""
    titles = [table.stub]
    parts: list[tuple[int, str]] = []
    for i, column in enumerate(table.columns):
        cells = [row.cells[i] for row in table.rows]
        label = column.label + (f" (n = {column.n})" if column.n is not None else "")
        titles.append(label)
        parts.append((i, "text"))
        if any(c.n is not None for c in cells):
            titles.append(f"{column.label}: n")
            parts.append((i, "n"))
        if any(c.mark for c in cells):
            titles.append(f"{column.label}: test")
            parts.append((i, "mark"))
    return titles, parts


def _table_sheet(ws: Worksheet, table: Table) -> None:
    write_safe_row(ws, [table.title])
    ws["A1"].font = Font(bold=True, size=12)
    titles, parts = _header(table)
    write_safe_row(ws, titles)
    for cell in ws[2]:
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.rows:
        values: list[object] = [row.label if row.level == 0 else "   " + row.label]
        for i, part in parts:
            c = row.cells[i]
            values.append(c.text if part == "text" else c.mark if part == "mark" else c.n)
        write_safe_row(ws, values)
        if row.level == 0:
            ws.cell(ws.max_row, 1).font = BOLD
    write_safe_row(ws, [])
    for line in (*table.footnotes, *table.notes):
        write_safe_row(ws, [line])
    ws.column_dimensions["A"].width = 48
    for letter in "BCDEFGHIJKLMNOP":
        ws.column_dimensions[letter].width = 20


def _frame_sheet(ws: Worksheet, frame: pd.DataFrame) -> None:
    write_safe_row(ws, list(frame.columns))
    for cell in ws[1]:
        cell.font = BOLD
    for record in frame.itertuples(index=False):
        write_safe_row(ws, [None if pd.isna(v) else v for v in record])


def _effects_sheet(ws: Worksheet, report: Report) -> None:
    """Per outcome × timepoint × comparison: MD and Hedges' g, RR and OR of responders and
    complications, as metafor's escalc defines them (clinic.stats.effect_sizes)."""
    from clinic.reports.effects import COLUMNS

    write_safe_row(ws, ["Effect sizes for meta-analysis, arm 1 against arm 2. MD = mean of "
                        "arm 1 − mean of arm 2, in the outcome's unit; SMD = Hedges' g (exact "
                        "correction, large-sample variance). For pain and disability scores "
                        "lower is better: a negative MD or g favours arm 1. RR and OR = arm 1 "
                        "/ arm 2 (events/n per arm), 1/2 added to tables with a zero cell; "
                        "tables without events in either arm are left out. yi and vi as R "
                        "metafor's escalc gives them (log RR, log OR); 95 % CI. 'estimated': "
                        "means/SDs derived from medians and quartiles (false here: computed "
                        "from the recorded values)."])
    write_safe_row(ws, list(COLUMNS))
    for cell in ws[2]:
        cell.font = BOLD
    if not report.effects:
        write_safe_row(ws, ["No comparison: effect sizes need two arms with data in the "
                            "report (an arm filter leaves one)."])
    for row in report.effects:
        values = row.as_dict()
        write_safe_row(ws, [round(v, 6) if isinstance(v, float) else v
                            for v in (values[c] for c in COLUMNS)])
    for letter, width in zip("ABCDEFGHIJ", (44, 14, 11, 28, 28, 9, 6, 6, 22, 22), strict=True):
        ws.column_dimensions[letter].width = width


def xlsx_bytes(report: Report) -> bytes:
    wb = Workbook()
    about = wb.active
    about.title = "About"
    write_safe_row(about, [f"Study report: {report.study.code}"])
    write_safe_row(about, [report.study.title])
    for what, value in [*report.filters.describe(),
                        ("Patients included", report.stamp.patients),
                        ("Data version (SHA-256)", report.stamp.data_version),
                        ("Generated", report.stamp.generated_at.isoformat(timespec="seconds"))]:
        write_safe_row(about, [what, value])
    write_safe_row(about, [])
    for paragraph in report.methods:
        write_safe_row(about, [paragraph])
    about.column_dimensions["A"].width = 40
    for table in report.tables:
        _table_sheet(wb.create_sheet(SHEET_NAMES.get(table.key, table.key[:31])), table)
    _effects_sheet(wb.create_sheet("Effect sizes"), report)
    _frame_sheet(wb.create_sheet("Data (wide)"), report.dataset.wide)
    _frame_sheet(wb.create_sheet("Data dictionary"),
                 with_note(report.dataset.dictionary(), XLSX_NOTE))
    wb.properties.created = report.stamp.generated_at.replace(tzinfo=None)
    wb.properties.modified = report.stamp.generated_at.replace(tzinfo=None)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
