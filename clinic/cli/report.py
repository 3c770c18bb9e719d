"""report: build a study report (PDF, HTML, XLSX, SPSS .sav or CSV) from the database."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from clinic.db import session_scope
from clinic.exceptions import NotFound, ValidationError


def _write(files: list[tuple[str, bytes]], out: Path) -> list[Path]:
    """One file → ``out``; several (csv, sav + dictionary) → files in directory ``out``
    (for sav the .sav goes to ``out`` itself when it ends in .sav)."""
    if len(files) == 1:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(files[0][1])
        return [out]
    if out.suffix == ".sav":
        out.parent.mkdir(parents=True, exist_ok=True)
        targets = [out, out.with_name(out.stem + "_dictionary.csv")]
    else:
        out.mkdir(parents=True, exist_ok=True)
        targets = [out / name for name, _ in files]
    for target, (_, content) in zip(targets, files, strict=True):
        target.write_bytes(content)
    return targets


@click.command("report")
@click.option("--study", "study_code", required=True, help="Study code, e.g. DEMO.")
@click.option("--format", "fmt", type=click.Choice(["pdf", "html", "xlsx", "sav", "csv"]),
              default="pdf", show_default=True)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Output file (a directory for csv).")
@click.option("--from", "date_from", help="First procedure date (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Last procedure date (YYYY-MM-DD).")
@click.option("--site", "sites", multiple=True, help="Site code (repeatable).")
@click.option("--procedure-type", "procedure_types", multiple=True,
              help="Procedure type code, e.g. tfesi_prf (repeatable).")
@click.option("--level", "levels", multiple=True, help="Level code, e.g. L4-L5 (repeatable).")
@click.option("--arm", "arms", multiple=True, help="Arm code (repeatable).")
@click.option("--as-of", "as_of", help="Judge follow-up status on this day (default today).")
@click.option("--quiet", is_flag=True, help="Do not print progress.")
@with_appcontext
def report_command(study_code: str, fmt: str, out: Path, quiet: bool, **options: object) -> None:
    """Build the study report (tables 1–6, flow, figure) in one format."""
    from clinic.reports import build_report, filters_from_mapping
    from clinic.reports.render import render
    from clinic.web.filters import clinic_today

    start = time.perf_counter()

    def progress(message: str) -> None:
        if not quiet:
            click.echo(f"[{time.perf_counter() - start:6.2f}s] {message}", err=True)

    try:
        filters = filters_from_mapping(options, clinic_today())
        with session_scope() as session:
            report = build_report(session, study_code, filters,
                                  timezone=current_app.config["TIMEZONE"], progress=progress)
    except (ValidationError, NotFound) as error:
        raise click.ClickException(str(error)) from error
    progress(f"rendering {fmt}")
    written = _write(render(report, fmt), out)
    progress(f"done: data version {report.stamp.data_version[:12]}")
    for path in written:
        click.echo(str(path))
