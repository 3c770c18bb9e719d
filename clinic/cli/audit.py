"""audit seal / verify: the audit trail's hash chain (clinic.audit.chain)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from clinic.cli.files import format_of, writable_file

# each format's file endings, the first proposed (json: one event per line)
AUDIT_ENDINGS = {"csv": (".csv",), "xlsx": (".xlsx",), "json": (".jsonl", ".json", ".ndjson")}


@click.group("audit")
def audit_group() -> None:
    """The audit trail: seal new events into the hash chain, verify the chain."""


@audit_group.command("seal")
@with_appcontext
def seal_command() -> None:
    """Seal the committed events not sealed yet, of the audit trail and of the identity
    changes (the scheduler does it every minute)."""
    from clinic.audit.chain import CHAINS, seal
    from clinic.db import session_scope

    with session_scope() as session:
        sealed = [seal(session, chain=chain) for chain in CHAINS]
    click.echo(f"audit: {sealed[0]:,} events sealed, {sealed[1]:,} identity changes sealed")


@audit_group.command("verify")
@click.option("--no-seal", is_flag=True,
              help="Verify only what is sealed already; do not seal the newest events first.")
@with_appcontext
def verify_command(no_seal: bool) -> None:
    """Recompute the hash chains over the whole audit trail and the identity changes;
    report every gap and edit. Exits 1 if either chain is broken."""
    from clinic.audit.chain import seal_all, verify_all
    from clinic.db import session_scope

    if not no_seal:
        with session_scope() as session:
            seal_all(session)
    with session_scope() as session:
        reports = verify_all(session)
    click.echo("\n".join(report.describe() for report in reports))
    if not all(report.intact for report in reports):
        sys.exit(1)


@audit_group.command("export")
@click.option("--study", "study_code", required=True, help="Study code.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"],
                                                  case_sensitive=False),
              default=None, help="Default: the one --out's ending names, else csv.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="File to write.")
@click.option("--user", "user_email", default=None, help="Only this user's changes (e-mail).")
@click.option("--from", "since", default=None, help="From this day (YYYY-MM-DD, clinic time).")
@click.option("--to", "until", default=None, help="Up to this day, inclusive.")
@click.option("--entity", default=None, help="Only this kind of record, e.g. score, procedure.")
@click.option("--patient", "patient_code", default=None,
              help="Only this patient (study code, or the id the API gives).")
@click.option("--reason", default=None, help="Only changes whose reason contains this text.")
@with_appcontext
def export_command(study_code: str, fmt: str | None, out_path: str, user_email: str | None,
                   since: str | None, until: str | None, entity: str | None,
                   patient_code: str | None, reason: str | None) -> None:
    """Write a study's audit trail, newest first, de-identified (study codes only)."""
    from flask import current_app
    from sqlmodel import select

    from clinic.audit.export import write_csv, write_json_lines, write_xlsx
    from clinic.audit.trail import (
        ENTITIES,
        AuditFilter,
        parse_day,
        reversed_range,
        trail_rows,
    )
    from clinic.db import session_scope
    from clinic.exceptions import NotFound, ValidationError
    from clinic.models import User
    from clinic.studies.setup import find_study

    if entity is not None and entity not in ENTITIES:
        raise click.BadParameter(f"one of {', '.join(sorted(ENTITIES))}", param_hint="--entity")
    writable_file(out_path, "--out")
    fmt = format_of(fmt, Path(out_path), AUDIT_ENDINGS, "csv")
    zone = current_app.config["TIMEZONE"]
    with session_scope() as session:
        try:
            study = find_study(session, study_code)
        except NotFound as error:
            raise click.BadParameter(str(error), param_hint="--study") from error
        user_id = None
        if user_email:
            user_id = session.exec(select(User.id).where(User.email == user_email.strip()
                                                         .lower())).first()
            if user_id is None:
                raise click.BadParameter(f"no user {user_email!r}", param_hint="--user")
        if patient_code:
            patient_code = _patient_code(session, study, patient_code)
        try:
            chosen = AuditFilter(user_id=user_id, since=parse_day(since, "--from"),
                                 until=parse_day(until, "--to"), entity=entity,
                                 patient_code=patient_code, reason=reason)
        except ValidationError as error:
            raise click.UsageError(" ".join(f"{k}: {v}" for k, v in error.errors.items())
                                   ) from error
        if reversed_ := reversed_range(chosen.since, chosen.until):
            raise click.UsageError(reversed_.replace("'To'", "--to").replace("'From'", "--from"))
        rows = trail_rows(session, study.id, chosen, zone=zone)  # type: ignore[arg-type]
        if fmt == "xlsx":
            with open(out_path, "wb") as binary:
                count = write_xlsx(rows, zone, binary, f"Audit trail · {study.code}")
        else:
            with open(out_path, "w", encoding="utf-8", newline="") as text:
                count = (write_csv(rows, zone, text) if fmt == "csv"
                         else write_json_lines(rows, text))
    click.echo(f"audit: {count:,} events of {study.code} written to {out_path}")


def _patient_code(session: Any, study: Any, given: str) -> str:
    """The study code of the patient named by ``given``: its code in any case, or its id
    (as the API and the screens' addresses show it); a usage error if neither."""
    from clinic.audit.trail import patient_of_code
    from clinic.models import Patient

    if patient_of_code(session, study.id, given) is not None:
        return given
    text = given.strip()
    if text.isascii() and text.isdigit() and len(text) < 10:
        patient = session.get(Patient, int(text))
        if patient is not None and patient.study_id == study.id:
            return str(patient.study_code)
    raise click.BadParameter(f"no patient {given!r} in {study.code} (give its study code "
                             "or its id)", param_hint="--patient")
