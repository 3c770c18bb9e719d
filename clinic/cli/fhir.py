"""fhir export: a study as FHIR bulk data (one NDJSON file per resource type)."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext

FILE_ENDINGS = {".ndjson", ".json", ".jsonl", ".zip", ".txt", ".csv"}


@click.group("fhir")
def fhir_group() -> None:
    """FHIR: export a study as bulk NDJSON (pseudonymised)."""


@fhir_group.command("export")
@click.option("--study", "code", required=True, help="The study code.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="A folder for the NDJSON files (made if missing).")
@with_appcontext
def export_command(code: str, out: Path) -> None:
    """Write Patient, Procedure, Observation, Questionnaire, QuestionnaireResponse,
    AdverseEvent and MedicationStatement as NDJSON; patients by study code only."""
    from clinic.db import session_scope
    from clinic.exceptions import NotFound
    from clinic.fhir.export import export_study
    from clinic.studies.setup import find_study

    if out.suffix.lower() in FILE_ENDINGS and not out.is_dir():
        raise click.BadParameter(
            f"{out} reads as a file name, but the export is a folder of files (one "
            f"Patient.ndjson, Procedure.ndjson… per resource type): name a folder, such as "
            f"{out.with_suffix('')}", param_hint="--out")
    started = time.perf_counter()
    with session_scope() as session:
        try:
            study = find_study(session, code[:40])
        except NotFound as error:
            raise click.BadParameter(str(error), param_hint="--study") from error
        try:
            counts = export_study(session, study, out)
        except OSError as error:
            raise click.ClickException(f"Cannot write to {out}: {error.strerror}") from error
    listing = ", ".join(f"{kind} {n:,}" for kind, n in sorted(counts.items()) if n) \
        or "nothing: the study has no patients yet"
    click.echo(f"FHIR export of {study.code} to {out}: {listing} "
               f"({time.perf_counter() - started:.2f} s)")
