"""Spreadsheet cells that cannot run: the OWASP CSV-injection rule.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read as a formula by Excel and LibreOffice (``=HYPERLINK(...)`` becomes a live link,
``=cmd|...`` worse). In CSV such text gets a leading apostrophe; in XLSX the cell is
written as a text cell with the "quote prefix" style, so it shows as typed and is never
evaluated. Numbers are numbers and are left alone (-5 stays -5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas loads in the two frame functions: the screening log needs none
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NOTE = ("Text cells that began with =, +, -, @, a tab or a carriage return start with an "
        "apostrophe (') in the CSV files, so that spreadsheet programs show them as text "
        "instead of running them as formulas (OWASP CSV injection).")


XLSX_NOTE = ("Text cells that begin with =, +, -, @, a tab or a carriage return are stored as "
             "text (quote prefix), never as formulas (OWASP CSV injection).")


def with_note(dictionary: pd.DataFrame, note: str) -> pd.DataFrame:
    """The data dictionary with a last row saying how formula-like text was handled."""
    import pandas as pd

    row = {column: "" for column in dictionary.columns}
    row[dictionary.columns[0]] = "(note)"
    row[dictionary.columns[1]] = note
    return pd.concat([dictionary, pd.DataFrame([row])], ignore_index=True)


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def neutralise(value: Any) -> Any:
    """A CSV cell value that no spreadsheet runs."""
    return "'" + value if is_formula_like(value) else value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its text columns neutralised (numbers untouched)."""
    import pandas as pd

    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column):
            out[name] = column.map(neutralise)
    out.columns = [neutralise(c) for c in out.columns]
    return out


def write_safe_row(ws: Any, values: list[Any]) -> None:
    """openpyxl ``append`` that keeps formula-like text as text.

    The cells are made before they are appended: looking the row up again afterwards
    (``ws[ws.max_row]``) scans every cell of the sheet, once per row."""
    from openpyxl.cell.cell import Cell, WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    row = []
    for value in values:
        if is_formula_like(value):
            # a write-only sheet (streamed) places its cells itself
            cell = (WriteOnlyCell(ws, value=value) if isinstance(ws, WriteOnlyWorksheet)
                    else Cell(ws, value=value))
            cell.data_type = "s"
            cell.quotePrefix = True
            row.append(cell)
        else:
            row.append(value)
    ws.append(row)
