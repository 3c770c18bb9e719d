"""Format-independent report tables: HTML, PDF and XLSX all render these objects.

A :class:`Table` has a stub column (row labels) and value columns; every
:class:`Cell` carries its printed ``text`` (already formatted, by
:mod:`clinic.reports.cells`), the ``n`` behind it, a footnote ``mark`` naming
the test behind a p-value, and a ``note`` saying why a cell is empty.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from clinic.reports.safe_cells import neutralise

TEST_NAMES = {
    "student_t": "Student t-test (normality by Kolmogorov–Smirnov in every group)",
    "mann_whitney": "Mann–Whitney U test",
    "kruskal_wallis": "Kruskal–Wallis H test",
    "pearson_chi_square": "Pearson χ² test",
    "fisher_exact": "Fisher's exact test (2×2 table with an expected count < 5)",
    "fisher_freeman_halton": "Fisher–Freeman–Halton exact test (table larger than 2×2 with "
                             "an expected count < 5)",
    "friedman": "Friedman test across timepoints within each arm (complete cases)",
}
SYMBOLS = "abcdefghij"


@dataclass(frozen=True)
class Cell:
    text: str = ""
    n: int | None = None
    mark: str = ""
    note: str = ""


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[Cell, ...]
    level: int = 1  # 0: block heading, 1: row inside a block, 2: detail of the row above


@dataclass(frozen=True)
class Column:
    label: str
    n: int | None = None  # e.g. patients in the arm


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    stub: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    footnotes: tuple[str, ...] = ()  # "a Mann–Whitney U test", abbreviations
    notes: tuple[str, ...] = ()  # missing data, exclusions, empty cells explained

    def header(self) -> list[str]:
        return [self.stub, *(c.label + (f" (n = {c.n})" if c.n is not None else "")
                             for c in self.columns)]

    def to_csv(self) -> str:
        """Every cell's text, n and mark; byte-identical for the same data and filters."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["table", "row", "level", "column", "text", "n", "mark", "note"])
        for row in self.rows:
            for column, cell in zip(self.columns, row.cells, strict=True):
                writer.writerow([neutralise(v) for v in (
                    self.key, row.label, row.level, column.label, cell.text,
                    "" if cell.n is None else cell.n, cell.mark, cell.note)])
        return out.getvalue()


@dataclass
class Marks:
    """Footnote symbols for the tests behind p-values, in order of first use."""

    used: dict[str, str] = field(default_factory=dict)

    def of(self, test: str | None) -> str:
        if not test:
            return ""
        if test not in self.used:
            self.used[test] = SYMBOLS[len(self.used)]
        return self.used[test]

    def footnotes(self) -> tuple[str, ...]:
        return tuple(f"{symbol} {TEST_NAMES[test]}" for test, symbol in self.used.items())


@dataclass
class TableBuilder:
    """Collects rows, marks and notes while a table is computed."""

    key: str
    title: str
    stub: str
    columns: tuple[Column, ...]
    rows: list[Row] = field(default_factory=list)
    marks: Marks = field(default_factory=Marks)
    notes: list[str] = field(default_factory=list)
    abbreviations: list[str] = field(default_factory=list)

    def heading(self, label: str, cells: tuple[Cell, ...] | None = None) -> None:
        self.rows.append(Row(label, cells or self.blank(), level=0))

    def row(self, label: str, cells: tuple[Cell, ...]) -> None:
        self.rows.append(Row(label, cells, level=1))

    def blank(self) -> tuple[Cell, ...]:
        return tuple(Cell() for _ in self.columns)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def build(self) -> Table:
        footnotes = (*self.marks.footnotes(), *self.abbreviations)
        return Table(self.key, self.title, self.stub, self.columns, tuple(self.rows),
                     footnotes, tuple(self.notes))
