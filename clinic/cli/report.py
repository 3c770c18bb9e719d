"""report: build a study report (PDF, HTML, XLSX, SPSS .sav or CSV) from the database."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from clinic.cli.files import format_of, not_written
from clinic.db import session_scope
from clinic.exceptions import NotFound, ValidationError

# each format's file endings (the first proposed); csv: a .zip of its files, or a folder
ENDINGS = {"pdf": (".pdf",), "html": (".html", ".htm"), "xlsx": (".xlsx",), "sav": (".sav",),
           "csv": (".zip",)}


def _checked_out(out: Path, fmt: str) -> None:
    """Refuse, before the report is built, an --out it could not be written to: empty, a
    folder that does not exist (a mistyped path is not made up), or a file where csv
    writes several files into a folder (unless it is to be a .zip of them)."""
    if not str(out).strip():  # (an empty --out is refused as any empty value is; "." is
        # the current folder, where the report goes under its own name)
        raise click.UsageError("Give --out a file name (or, for csv, a folder or a .zip).")
    if out.suffix == ".zip" and out.is_dir():
        raise click.UsageError(f"{out} is a folder: give the .zip file a name of its own.")
    several = out.suffix != ".zip" and (fmt == "csv" or (fmt == "sav" and out.suffix != ".sav"))
    if several and out.exists() and not out.is_dir():
        raise click.UsageError(f"{out} is a file: {fmt} writes several files, into a folder "
                               "(give a folder's name).")
    folder = out if out.is_dir() else out.parent
    if not folder.is_dir():
        raise click.UsageError(f"There is no folder {folder}: create it first, or choose "
                               "another --out.")


def _write(files: list[tuple[str, bytes]], out: Path) -> list[Path]:
    """One file → ``out`` (or, when ``out`` is a folder, a file in it under its own
    name); several (csv, sav + dictionary) → one zip archive when ``out`` ends in .zip,
    else files in the folder ``out``, made if need be (for sav the .sav goes to ``out``
    itself when it ends in .sav). :func:`_checked_out` has refused what could not be
    written."""
    if len(files) > 1 and out.suffix == ".zip":
        from clinic.reports.render import zipped

        files = [(out.name, zipped(files))]
    if len(files) == 1:
        targets = [out / files[0][0] if out.is_dir() else out]
    elif out.suffix == ".sav":
        targets = [out, out.with_name(out.stem + "_dictionary.csv")]
    else:
        try:
            out.mkdir(exist_ok=True)
        except OSError as error:  # a folder that takes no new one (/proc, read-only)
            raise not_written(out, error) from error
        targets = [out / name for name, _ in files]
    for target, (_, content) in zip(targets, files, strict=True):
        try:
            target.write_bytes(content)
        except OSError as error:
            raise not_written(target, error) from error
    return targets


# the report's filters, named in an error by the option that gave them
OPTIONS = {"date_from": "--from", "date_to": "--to", "sites": "--site",
           "procedure_types": "--procedure-type", "levels": "--level", "arms": "--arm",
           "as_of": "--as-of", "study": "--study"}


@click.command("report")
@click.option("--study", "study_code", required=True, help="Study code, e.g. DEMO.")
@click.option("--format", "fmt", type=click.Choice(["pdf", "html", "xlsx", "sav", "csv"],
                                                  case_sensitive=False),
              default=None, help="Default: the one --out's ending names, else pdf.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Output file (for csv: a folder, or a .zip file).")
@click.option("--from", "date_from", help="First procedure date (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Last procedure date (YYYY-MM-DD).")
@click.option("--site", "sites", multiple=True, help="Site code (repeatable).")
@click.option("--procedure-type", "procedure_types", multiple=True,
              help="Procedure type code, e.g. tfesi_prf (repeatable).")
@click.option("--level", "levels", multiple=True, help="Level code, e.g. L4-L5 (repeatable).")
@click.option("--arm", "arms", multiple=True, help="Arm code (repeatable).")
@click.option("--as-of", "as_of",
              help="The data cut-off (default today): patients enrolled, procedures "
                   "done, visits held, complications begun and screenings after this day "
                   "are left out; corrections made since are kept.")
@click.option("--quiet", is_flag=True, help="Do not print progress.")
@with_appcontext
def report_command(study_code: str, fmt: str | None, out: Path, quiet: bool,
                   **options: object) -> None:
    """Build the study report (tables 1–6, flow, figure) in one format."""
    from clinic.reports import build_report, filters_from_mapping
    from clinic.reports.render import render
    from clinic.web.filters import clinic_today

    start = time.perf_counter()

    def progress(message: str) -> None:
        if not quiet:
            click.echo(f"[{time.perf_counter() - start:6.2f}s] {message}", err=True)

    fmt = format_of(fmt, out, ENDINGS, "pdf", several=frozenset({"csv", "sav"}))
    _checked_out(out, fmt)
    try:
        filters = filters_from_mapping(options, clinic_today())
        with session_scope() as session:
            report = build_report(session, study_code, filters,
                                  timezone=current_app.config["TIMEZONE"], progress=progress)
    except ValidationError as error:  # an option that does not read: a usage error (2)
        raise click.UsageError("; ".join(f"{OPTIONS.get(name, name)}: {message}"
                                          for name, message in error.errors.items())
                               ) from error
    except NotFound as error:
        raise click.BadParameter(str(error), param_hint="--study") from error
    progress(f"rendering {fmt}")
    written = _write(render(report, fmt), out)
    progress(f"done: data version {report.stamp.data_version[:12]}")
    for path in written:
        click.echo(str(path))
