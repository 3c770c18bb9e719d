"""analyze: the paper's analysis of one outcome from a spreadsheet (CSV), no database."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from clinic.cli.files import writable_file, write_text
from clinic.cli.spreadsheet import Dialect, read_table, refuse_points, refuse_repeated

if TYPE_CHECKING:
    import pandas as pd


@click.command("analyze")
@click.option("--csv", "csv_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--subject", required=True, help="Column identifying the subject.")
@click.option("--group", required=True, help="Column with the arm or modality.")
@click.option("--timepoint", required=True, help="Column with the timepoint.")
@click.option("--value", required=True, help="Column with the outcome value.")
@click.option("--order", default=None, help="Timepoints in order, comma-separated (default: "
              "in the order they first appear in the file).")
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
    frame, dialect = read_table(csv_path)
    refuse_repeated(dialect, (subject, group, timepoint, value), csv_path)
    missing = [c for c in (subject, group, timepoint, value) if c not in frame.columns]
    if missing:
        raise click.UsageError(f"Column(s) not in {csv_path}: {', '.join(missing)}. "
                               f"Columns are: {', '.join(map(str, frame.columns))}")
    if frame[group].nunique() == frame[subject].nunique() > 2:
        click.echo(f"Note: each value of --group {group!r} holds one subject: is it the "
                   "column with the arm or modality?", err=True)
    timepoint_order = _order(frame, timepoint, order)
    refuse_points(csv_path, dialect, value)
    frame[value] = _numbers(frame[value], value, csv_path, dialect)
    try:
        report = analyze_frame(frame, subject, group, timepoint, value, timepoint_order)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(render_text(report))
    if json_path:
        write_text(json_path, json.dumps(to_json_dict(report), indent=2) + "\n", "--json")
        click.echo(f"JSON written to {json_path}")


def _numbers(column: pd.Series, name: str, csv_path: str, dialect: Dialect) -> pd.Series:
    """The value column as numbers (an empty cell is a missing value), or an error that
    names the first cell that is no number, by its line in the file (a column with one
    such cell is read as text, and the error quoted its first cell, a good one)."""
    import pandas as pd

    if column.dtype == bool:  # true/false: no measurement, refused by the engine itself
        return column
    text = column.astype("string").str.strip()
    # a column with one cell that is no number is read as text, its decimal commas too
    # ('7,5' was named as the bad cell in a file read with decimal commas)
    if dialect.decimal == "," and not pd.api.types.is_numeric_dtype(column):
        numbers = pd.to_numeric(text.str.replace(",", ".", regex=False),
                                errors="coerce").astype("float64")
    else:
        numbers = pd.to_numeric(column, errors="coerce")
    bad = numbers.isna() & column.notna() & (text != "")
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise click.ClickException(
            f"{csv_path}, line {dialect.line_of(csv_path, column.index[row])} (column {name}): "
            f"{column.iloc[row]!r} is not a "
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
        raise click.UsageError(f"--order names timepoints not in the data: {', '.join(unknown)}"
                               f" (the data's are: {', '.join(sorted(present))}).")
    by_text = {str(v): v for v in frame[column].dropna().unique()}
    return [by_text[w] for w in wanted]
