"""dose import: a folder of DICOM dose reports (RDSR), matched to procedures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("dose")
def dose_group() -> None:
    """Radiation dose reports (DICOM RDSR)."""


@dose_group.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--confirm", is_flag=True,
              help="Import the matched reports (without it: only list what would happen).")
@click.option("--by", "by_email", metavar="EMAIL",
              help="With --confirm: the login of the person who checked the matches "
                   "(physician, coordinator or admin); the audit trail names them.")
@with_appcontext
def import_command(folder: Path, confirm: bool, by_email: str | None) -> None:
    """Match each report to a procedure (same DICOM study, else patient MRN and day) and
    list the matches for a person to check; --confirm --by EMAIL imports the matched
    ones in that person's name."""
    from clinic.audit.words import field_label
    from clinic.db import session_scope
    from clinic.dose.matching import match
    from clinic.dose.rdsr import DoseReportError, read_rdsr
    from clinic.dose.service import import_report
    from clinic.exceptions import LockedError, ValidationError

    zone = current_app.config["TIMEZONE"]
    if by_email and not confirm:
        raise click.UsageError("--by names who confirms the import: add --confirm (without "
                               "it the command only lists the matches).")
    checker = _checker(by_email) if confirm else None
    files, skipped = _files_of(folder)
    for line in skipped:
        click.echo(line)
    counts = {"imported": 0, "already imported": 0, "to confirm": 0, "unmatched": 0,
              "refused": 0, "skipped": len(skipped)}
    for path in files:
        try:
            report = read_rdsr(path.read_bytes())
        except DoseReportError as error:
            click.echo(f"{path.name}: not read: {error}")
            counts["refused"] += 1
            continue
        with session_scope() as session:
            found = match(session, report, zone)
            if found.procedure is None:
                click.echo(f"{path.name}: no procedure: {found.why}")
                counts["unmatched"] += 1
                continue
            site = found.patient.site_id if found.patient else None
            if checker is not None and checker.site_id not in (None, site):
                click.echo(f"{path.name}: refused: the patient is not at the site of "
                           f"{checker.email}")
                counts["refused"] += 1
                continue
            where = (f"{found.patient.study_code if found.patient else '?'}, procedure of "
                     f"{found.procedure.performed_at:%Y-%m-%d} ({found.why})")
            if not confirm:
                click.echo(f"{path.name}: -> {where}, {len(report.events)} event(s)")
                counts["to confirm"] += 1
                continue
            try:
                result = import_report(session, procedure=found.procedure, report=report,
                                       actor_id=checker.id if checker else None,
                                       timezone=zone)
            except (ValidationError, LockedError) as error:
                message = "; ".join(error.errors.values()) if isinstance(
                    error, ValidationError) else str(error)
                click.echo(f"{path.name}: refused: {message}")
                counts["refused"] += 1
                session.rollback()
                continue
            click.echo(f"{path.name}: -> {where}: {result.new_events} new event(s), "
                       f"{result.known_events} known"
                       + "".join(f"; {field_label(k)} typed {t:g}, report {r:g} "
                                 "(not overwritten)"
                                 for k, (t, r) in result.differing.items()))
            counts["imported" if result.new_events else "already imported"] += 1
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items() if v) or "no files")
    if counts["to confirm"]:
        click.echo("Check the list, then run again with --confirm --by EMAIL (your login) "
                   "to import.")
    if confirm and (counts["refused"] or counts["unmatched"]):  # a script sees that not
        raise SystemExit(1)                                      # every file went in


def _checker(by_email: str | None) -> Any:
    """The active login that confirms the import, allowed to record procedures."""
    from sqlmodel import func, select

    from clinic.db import session_scope
    from clinic.models import User
    from clinic.web.access import RECORDS_PROCEDURES

    if not by_email:
        raise click.UsageError("--confirm needs --by EMAIL: the login of the person who "
                               "checked the matches, named in the audit trail.")
    with session_scope() as session:
        user = session.exec(select(User).where(
            func.lower(User.email) == by_email.strip().lower())).first()
        if user is None or not user.is_active:
            raise click.BadParameter(f"no active login {by_email!r}", param_hint="--by")
        if user.role not in RECORDS_PROCEDURES:
            raise click.BadParameter(
                f"{user.email} is a {user.role}: a dose report is imported by a "
                f"{', '.join(RECORDS_PROCEDURES[:-1])} or {RECORDS_PROCEDURES[-1]}",
                param_hint="--by")
        session.expunge(user)
        return user


def _files_of(folder: Path) -> tuple[list[Path], list[str]]:
    """The folder's files, sorted, and a line for each entry that is not read: a
    sub-folder (not searched: name it to import it) or a link to nothing."""
    files, skipped = [], []
    for path in sorted(folder.iterdir()):
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            skipped.append(f"{path.name}/: a folder, not searched (import it by its own name)")
        elif path.is_symlink():
            skipped.append(f"{path.name}: a link to nothing, skipped")
        else:
            skipped.append(f"{path.name}: not a file, skipped")
    return files, skipped
