"""``flask --app clinic study …``: validate, create, export and preview protocol files;
simulate patients in a synthetic study."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from clinic.catalog import STUDY_STATUSES
from clinic.cli.files import writable_file, write_text
from clinic.db import session_scope
from clinic.exceptions import LockedError, NotFound, ValidationError
from clinic.protocol.labels import label_mismatches


def _read(path: str, refused: str = "nothing was created") -> object:
    """A protocol file: JSON (as the API gives and takes it) when it ends in .json,
    else TOML."""
    from clinic.protocol.protocol_file import ProtocolFileError, read_toml, validate_data

    try:
        text = Path(path).read_text(encoding="utf-8")
        if Path(path).suffix.lower() == ".json":
            return validate_data(_json(path, text))
        return read_toml(text)
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{path}: not a UTF-8 text file ({error.reason}).") from error
    except ProtocolFileError as error:
        for problem in error.problems:
            click.echo(f"{path}: {problem}", err=True)
        raise click.ClickException(f"{path}: {len(error.problems)} problem(s); "
                                   f"{refused}.") from error


def _json(path: str, text: str) -> object:
    from clinic.json_provider import strict_loads

    try:
        return strict_loads(text)
    except ValueError as error:  # json's own, and the API's rules (NotJSON)
        raise click.ClickException(f"{path}: not valid JSON: {error}.") from error


@click.group("study")
def study_group() -> None:
    """Study protocols as files: validate, create, export, preview the schedule."""


@study_group.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def validate_command(file: str) -> None:
    """Check a protocol file (TOML, or JSON as the API gives it when it ends in .json):
    its problems are printed with their line (TOML) or path."""
    doc = _read(file, refused="the file is not a valid protocol")
    click.echo(f"{file}: valid protocol for study {doc.code} ({doc.design_type}, "  # type: ignore[attr-defined]
               f"{len(doc.arms)} arms, {len(doc.timepoints)} timepoints).")  # type: ignore[attr-defined]
    for text in label_mismatches(doc.timepoints):  # type: ignore[attr-defined]
        click.echo(f"{file}: note: {text}")


@study_group.command("create")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--draft", is_flag=True, help="Create as a draft (activate it on the screen).")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=None,
              help="Generate the concealed allocation sequence with this seed (randomized).")
@click.option("--synthetic", is_flag=True,
              help="Mark the study SYNTHETIC (made-up data only; see study simulate).")
@with_appcontext
def create_command(file: str, draft: bool, seed: int | None, synthetic: bool) -> None:
    """Create a study from a protocol file."""
    from clinic.audit import set_actor
    from clinic.enrollment.randomization import generate_allocation_sequence
    from clinic.studies.protocols import create_from_document

    doc = _read(file)
    if synthetic:
        doc = doc.model_copy(update={"synthetic": True})  # type: ignore[attr-defined]
    try:
        with session_scope() as session:
            study = create_from_document(session, doc, draft=draft)  # type: ignore[arg-type]
            slots = 0
            if seed is not None and study.design_type == "randomized":
                set_actor(session, None, "Concealed allocation sequence generated (command "
                                         "line)")
                slots = generate_allocation_sequence(session, study, seed=seed)
            kind = "SYNTHETIC study" if study.is_synthetic else "study"
            status = STUDY_STATUSES.get(study.status, study.status).lower()  # "draft"
            click.echo(f"Created {kind} {study.code} ({status})"
                       + (f" with {slots} allocation slots from seed {seed}." if slots else "."))
        for text in label_mismatches(doc.timepoints):  # type: ignore[attr-defined]
            click.echo(f"{file}: note: {text}")  # as validate says them: created all the same
    except ValidationError as error:
        raise click.ClickException(str(error)) from error


@study_group.command("export")
@click.argument("study")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="File to write (default, or '-': standard output).")
@with_appcontext
def export_command(study: str, out: str | None) -> None:
    """Write a study's protocol as a file (creating from it gives the same study)."""
    from clinic.protocol.protocol_file import write_toml
    from clinic.studies.protocols import document_of
    from clinic.studies.setup import find_study

    if out == "-":  # the usual name of standard output (it wrote a file called "-")
        out = None
    if out:
        writable_file(out, "--out")
    try:
        with session_scope() as session:
            text = write_toml(document_of(session, find_study(session, study)))
    except NotFound as error:
        raise click.BadParameter(str(error), param_hint="STUDY") from error
    if out:
        write_text(out, text, "--out")
        click.echo(f"Wrote {out}")
    else:
        click.echo(text, nl=False)


@study_group.command("show")
@click.argument("study")
@click.option("--procedure-date", "procedure_on", default=None,
              help="Index procedure date YYYY-MM-DD (default: today).")
@with_appcontext
def show_command(study: str, procedure_on: str | None) -> None:
    """A study's schedule: the dates of every visit for a procedure on a given day."""
    from clinic.catalog import DATE_MAX, DATE_MIN
    from clinic.protocol.preview import schedule_preview
    from clinic.studies.setup import find_study, load_definition

    try:
        day = date.fromisoformat(procedure_on) if procedure_on else date.today()
    except ValueError as error:
        shaped = len(procedure_on or "") == 10 and procedure_on[4] == procedure_on[7] == "-"  # type: ignore[index]
        raise click.BadParameter(f"{procedure_on} is no day of the calendar" if shaped
                                 else "use YYYY-MM-DD", param_hint="--procedure-date") from error
    if not DATE_MIN <= day <= DATE_MAX:  # the calendar's edge: no 6-month visit after 9999
        raise click.BadParameter(f"a day from {DATE_MIN:%Y} to {DATE_MAX:%Y}",
                                 param_hint="--procedure-date")
    try:
        with session_scope() as session:
            found = find_study(session, study)
            definition = load_definition(session, found)
            status = found.status
    except NotFound as error:
        raise click.BadParameter(str(error), param_hint="STUDY") from error
    click.echo(f"{definition.code}: {definition.title}")
    click.echo(f"{definition.design_type}, {status}; procedure on {day.isoformat()}")
    click.echo(f"{'timepoint':<14} {'target':<11} {'window':<23} measures")
    for row in schedule_preview(definition, day):
        window = f"{row.window_open.isoformat()}..{row.window_close.isoformat()}"
        click.echo(f"{row.label:<14} {row.target.isoformat():<11} {window:<23} "
                   f"{', '.join(row.measures)}")


@study_group.command("simulate")
@click.argument("study")
@click.option("--patients", default=40, show_default=True, type=click.IntRange(1, 250_000))
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0, 2**31 - 1))
@click.option("--procedure-type", default="tfesi", show_default=True,
              help="The index procedure of every synthetic patient (a code of the catalog, "
                   "e.g. paravertebral_block).")
@with_appcontext
def simulate_command(study: str, patients: int, seed: int, procedure_type: str) -> None:
    """Add made-up patients to a SYNTHETIC study: screened, enrolled, treated, followed up."""
    from flask import current_app

    from clinic.demo.simulate import simulate_study
    from clinic.studies.setup import find_study
    from clinic.web.filters import clinic_today

    try:
        with session_scope() as session:
            result = simulate_study(session, find_study(session, study), patients=patients,
                                    seed=seed, today=clinic_today(),
                                    timezone=current_app.config["TIMEZONE"],
                                    procedure_type=procedure_type)
    except (NotFound, ValidationError, LockedError) as error:
        raise click.ClickException(str(error)) from error
    groups = ", ".join(f"{k}: {n}" for k, n in sorted(result.by_group.items()))
    click.echo(f"{study}: {result.enrolled} synthetic patients enrolled and treated "
               f"({groups}); {result.follow_ups} follow-ups recorded.")
