"""A statistician's CSV as Excel and other tools write it: its encoding and separator
told from the file, its header as written, and the refusals that keep a number from
being misread (a command-line helper; pandas is imported on first use)."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    import pandas as pd

MISSING_MARKS = (".",)  # SPSS's system-missing, beside pandas' own (empty, NA, n/a, NaN…)
SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs"}
_SEP_LINE = re.compile(r"^sep=(.)\s*$")  # Excel's first line naming the separator


@dataclass(frozen=True)
class Dialect:
    encoding: str
    sep: str
    skip: int  # lines before the header (Excel's "sep=;")
    header: tuple[str, ...]  # the column names as written (pandas renames a repeated one)

    @property
    def decimal(self) -> str:
        """Where the separator is a semicolon, the comma is the decimal mark."""
        return "," if self.sep == ";" else "."

    def line_of(self, csv_path: str, row: int) -> int:
        """The file's line number of data row ``row`` (pandas' row label, counted from 0
        after the header): pandas skips blank and blank-looking lines and reads a quoted
        cell over several lines as one row, so the label alone is no line number. Read
        again only for an error message."""
        with open(csv_path, encoding=self.encoding, newline="") as handle:
            raw: list[str] = []
            reader = csv.reader(_kept(handle, raw), delimiter=self.sep)
            for _ in range(self.skip + 1):  # "sep=;" and the header
                next(reader, None)
            label = -1
            while label < row:
                start = reader.line_num + 1
                if next(reader, None) is None:
                    break
                if reader.line_num > start or raw[-1].strip():
                    label += 1
        return start


def read_table(csv_path: str) -> tuple[pd.DataFrame, Dialect]:
    """The CSV as a table, or a one-line error: UTF-8 (with or without the BOM Excel
    writes), else Windows-1252 (Excel's "CSV" on a Western-European Windows), said so;
    separated by commas, semicolons (with decimal commas) or tabs, whichever the header
    holds most of, or as Excel's "sep=" line says; rows with no value at all (Excel's
    ";;;") left out."""
    import pandas as pd  # here, not at the top: ``flask --help`` must not load pandas

    _refuse_utf16(csv_path)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            dialect = _dialect(csv_path, encoding)
            frame = pd.read_csv(csv_path, encoding=encoding, sep=dialect.sep,
                                skiprows=dialect.skip, decimal=dialect.decimal,
                                na_values=list(MISSING_MARKS))
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            raise click.ClickException(f"{csv_path} is empty: no header row.") from None
        except pd.errors.ParserError as error:
            raise click.ClickException(f"{csv_path} is not a readable CSV file "
                                       f"({str(error).strip()}).") from None
        if encoding != "utf-8-sig":
            click.echo(f"Note: {csv_path} is not UTF-8; read as Windows-1252.", err=True)
        if dialect.sep != ",":
            click.echo(f"Note: {csv_path} is separated by {SEPARATORS[dialect.sep]}; read so"
                       + (", with decimal commas (4,5 is four and a half)."
                          if dialect.decimal == "," else "."), err=True)
        frame = frame.dropna(how="all")
        if frame.empty:
            raise click.ClickException(f"{csv_path} has a header row and no data rows.")
        return frame, dialect
    raise click.ClickException(f"{csv_path} is not a text file in UTF-8 or Windows-1252.")


def _refuse_utf16(csv_path: str) -> None:
    with open(csv_path, "rb") as handle:
        start = handle.read(2)
    if start in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise click.ClickException(f"{csv_path} is UTF-16 (Excel's \"Unicode Text\"): save "
                                   "it as \"CSV UTF-8 (Comma delimited)\" and try again.")


def _dialect(csv_path: str, encoding: str) -> Dialect:
    with open(csv_path, encoding=encoding, newline="") as handle:
        first = handle.readline()
        said = _SEP_LINE.match(first.strip("\ufeff"))
        line = handle.readline() if said else first
        rows = [row for row in islice(handle, 5) if row.strip()]
    if said:
        sep = said.group(1)
    else:  # the separator the header holds most of, quotes aside ("VAS, 0-10"); a tie
        # ("VAS, 0-10;arm") goes to the one the first rows hold as many of as the header
        sep = max(SEPARATORS, key=lambda s: (
            len(_fields(line, s)),
            sum(len(_fields(row, s)) == len(_fields(line, s)) for row in rows), s == ","))
    return Dialect(encoding, sep, 1 if said else 0, tuple(_fields(line, sep)))


def _kept(lines: Iterable[str], raw: list[str]) -> Iterator[str]:
    for line in lines:
        raw.append(line)
        yield line


def _fields(line: str, sep: str) -> list[str]:
    return next(csv.reader([line.rstrip("\r\n")], delimiter=sep), [])


def refuse_repeated(dialect: Dialect, named: tuple[str, ...], csv_path: str) -> None:
    """A column an option names written twice in the header (pandas reads the second as
    'vas.1'): which of the two it means cannot be told."""
    for column in named:
        positions = [i + 1 for i, name in enumerate(dialect.header) if name == column]
        if len(positions) > 1:
            raise click.UsageError(
                f"{csv_path} has {len(positions)} columns named {column!r} (columns "
                f"{', '.join(map(str, positions))}): rename all but one, so that each "
                "option names one column.")


def refuse_points(csv_path: str, dialect: Dialect, column: str) -> None:
    """In a file read with decimal commas, a number with a point is refused: '1.200' is
    twelve hundred in a German export and 1.2 in one that kept decimal points, and
    pandas read it as 1.2 without a word."""
    import pandas as pd

    if dialect.decimal != ",":
        return
    cells = pd.read_csv(csv_path, encoding=dialect.encoding, sep=dialect.sep,
                        skiprows=dialect.skip, usecols=[column], dtype=str,
                        keep_default_na=False)[column].str.strip()
    pointed = cells.str.contains(".", regex=False) & ~cells.isin(MISSING_MARKS)
    if pointed.any():
        row = int(pointed.to_numpy().nonzero()[0][0])
        raise click.ClickException(
            f"{csv_path}, line {dialect.line_of(csv_path, cells.index[row])} "
            f"(column {column}): "
            f"{cells.iloc[row]!r} has a point, in a file read with decimal commas: a point "
            "is a thousands separator in some exports and a decimal point in others. "
            "Write the number without thousands separators and with a decimal comma "
            "(1200, 4,5), or save the file separated by commas.")
