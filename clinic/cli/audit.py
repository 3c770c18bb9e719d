"""audit seal / verify: the audit trail's hash chain (clinic.audit.chain)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.group("audit")
def audit_group() -> None:
    """The audit trail: seal new events into the hash chain, verify the chain."""


@audit_group.command("seal")
@with_appcontext
def seal_command() -> None:
    """Seal the committed events not sealed yet (the scheduler does it every minute)."""
    from clinic.audit.chain import seal
    from clinic.db import session_scope

    with session_scope() as session:
        sealed = seal(session)
    click.echo(f"audit: {sealed:,} events sealed")


@audit_group.command("verify")
@click.option("--no-seal", is_flag=True,
              help="Verify only what is sealed already; do not seal the newest events first.")
@with_appcontext
def verify_command(no_seal: bool) -> None:
    """Recompute the hash chain over the whole audit trail; report every gap and edit.
    Exits 1 if the chain is broken."""
    from clinic.audit.chain import seal, verify
    from clinic.db import session_scope

    if not no_seal:
        with session_scope() as session:
            seal(session)
    with session_scope() as session:
        report = verify(session)
    click.echo(report.describe())
    if not report.intact:
        sys.exit(1)
