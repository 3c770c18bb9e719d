"""analyze: the paper's analysis of one outcome from a spreadsheet (CSV), no database."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from clinic.cli.files import writable_file, write_text

if TYPE_CHECKING:
    import pandas as pd


@click.command("analyze")
@click.option("--csv", "csv_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--subject", required=True, help="Column identifying the subject.")
@click.option("--group", required=True, help="Column with the arm or modality.")
@click.option("--timepoint", required=True, help="Column with the timepoint.")
@click.option("--value", required=True, help="Column with the outcome value.")
@click.option("--order", default=None, help="Timepoints in order, comma-separated.")
@click.option("--json", "json_path", default=None, type=click.Path(dir_okay=False),
              help="Also write the results as JSON to this file.")
def analyze_command(csv_path: str, subject: str, group: str, timepoint: str, value: str,
                    order: str | None, json_path: str | None) -> None:
    """Descriptives, between-group tests per timepoint and Friedman per group."""
    from clinic.stats.analyze import analyze_frame, render_text, to_json_dict

    if json_path:
        writable_file(json_path, "--json")
        if not json_path.lower().endswith(".json"):
            raise click.BadParameter(f"{json_path}: name a .json file (the results are "
                                     "written as JSON)", param_hint="--json")
    if group == subject:
        raise click.BadParameter(f"{group!r} is also the --subject column: name the column "
                                 "with the arm or modality", param_hint="--group")
    named = {"--subject": subject, "--group": group, "--timepoint": timepoint, "--value": value}
    for option, column in named.items():
        others = [o for o, c in named.items() if c == column and o != option]
        if others:
            raise click.UsageError(f"{option} and {others[0]} both name the column "
                                   f"{column!r}: each names a column of its own.")
    frame = _read(csv_path)
    _refuse_repeated(frame, (subject, group, timepoint, value), csv_path)
    missing = [c for c in (subject, group, timepoint, value) if c not in frame.columns]
    if missing:
        raise click.UsageError(f"Column(s) not in {csv_path}: {', '.join(missing)}. "
                               f"Columns are: {', '.join(map(str, frame.columns))}")
    if frame[group].nunique() == frame[subject].nunique() > 2:
        click.echo(f"Note: each value of --group {group!r} holds one subject: is it the "
                   "column with the arm or modality?", err=True)
    timepoint_order = _order(frame, timepoint, order)
    frame[value] = _numbers(frame[value], value, csv_path)
    try:
        report = analyze_frame(frame, subject, group, timepoint, value, timepoint_order)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(render_text(report))
    if json_path:
        write_text(json_path, json.dumps(to_json_dict(report), indent=2) + "\n", "--json")
        click.echo(f"JSON written to {json_path}")


MISSING_MARKS = (".",)  # SPSS's system-missing, beside pandas' own (empty, NA, n/a, NaN…)


def _read(csv_path: str) -> pd.DataFrame:
    """The CSV as a table, or a one-line error: UTF-8 (with or without the BOM Excel
    writes), else Windows-1252 (Excel's "CSV" on a Western-European Windows), said so; a
    file whose header is separated by semicolons (Excel's "CSV" where the comma is the
    decimal mark) is read so, with decimal commas, said so too."""
    import pandas as pd  # here, not at the top: ``flask --help`` must not load pandas

    for encoding in ("utf-8-sig", "cp1252"):
        try:
            semicolons = _semicolon_header(csv_path, encoding)
            frame = pd.read_csv(csv_path, encoding=encoding, na_values=list(MISSING_MARKS),
                                **({"sep": ";", "decimal": ","} if semicolons else {}))
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            raise click.ClickException(f"{csv_path} is empty: no header row.") from None
        except pd.errors.ParserError as error:
            raise click.ClickException(f"{csv_path} is not a readable CSV file "
                                       f"({str(error).strip()}).") from None
        if encoding != "utf-8-sig":
            click.echo(f"Note: {csv_path} is not UTF-8; read as Windows-1252.", err=True)
        if semicolons:
            click.echo(f"Note: {csv_path} is separated by semicolons; read so, with "
                       "decimal commas (4,5 is four and a half).", err=True)
        if frame.empty:
            raise click.ClickException(f"{csv_path} has a header row and no data rows.")
        return frame
    raise click.ClickException(f"{csv_path} is not a text file in UTF-8 or Windows-1252.")


def _semicolon_header(csv_path: str, encoding: str) -> bool:
    with open(csv_path, encoding=encoding, newline="") as handle:
        header = handle.readline()
    return ";" in header and "," not in header


def _refuse_repeated(frame: pd.DataFrame, named: tuple[str, ...], csv_path: str) -> None:
    """A column named twice in the header (pandas reads the second as 'vas.1'): which of
    the two an option means cannot be told, and the first was taken without a word."""
    for column in named:
        again = [c for c in frame.columns if isinstance(c, str) and c.startswith(f"{column}.")
                 and c[len(column) + 1:].isdigit() and c not in named]
        if column in frame.columns and again:
            positions = [list(frame.columns).index(c) + 1 for c in (column, *again)]
            raise click.UsageError(
                f"{csv_path} has {len(positions)} columns named {column!r} (columns "
                f"{', '.join(map(str, positions))}): rename all but one, so that each "
                "option names one column.")


def _numbers(column: pd.Series, name: str, csv_path: str) -> pd.Series:
    """The value column as numbers (an empty cell is a missing value), or an error that
    names the first cell that is no number, by its line in the file (a column with one
    such cell is read as text, and the error quoted its first cell, a good one)."""
    import pandas as pd

    if column.dtype == bool:  # true/false: no measurement, refused by the engine itself
        return column
    numbers = pd.to_numeric(column, errors="coerce")
    text = column.astype("string").str.strip()
    bad = numbers.isna() & column.notna() & (text != "")
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise click.ClickException(
            f"{csv_path}, line {row + 2} (column {name}): {column.iloc[row]!r} is not a "
            f"number; leave the cell empty (or '.') for a missing value."
            + (f" ({int(bad.sum())} such cells in all.)" if bad.sum() > 1 else ""))
    return numbers


def _order(frame: pd.DataFrame, column: str, order: str | None) -> list[object] | None:
    if not order:
        return None
    wanted = [item.strip() for item in order.split(",") if item.strip()]
    twice = sorted({w for w in wanted if wanted.count(w) > 1})
    if twice:
        raise click.UsageError(f"--order names {', '.join(twice)} more than once.")
    present = {str(v) for v in frame[column].dropna().unique()}
    unknown = [w for w in wanted if w not in present]
    if unknown:
        raise click.UsageError(f"--order names timepoints not in the data: {', '.join(unknown)}")
    by_text = {str(v): v for v in frame[column].dropna().unique()}
    return [by_text[w] for w in wanted]
