"""queries run: the automatic data-query rules over a study or every study."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext


@click.group("queries")
def queries_group() -> None:
    """Data queries: run the automatic rules (the scheduler does it nightly)."""


@queries_group.command("run")
@click.option("--study", "code", default=None, help="A study code (default: every study).")
@with_appcontext
def run_command(code: str | None) -> None:
    """Raise the automatic data queries the rules find; never the same one twice."""
    from clinic.db import session_scope
    from clinic.exceptions import NotFound
    from clinic.queries.rules import run_rules
    from clinic.studies.setup import find_study

    started = time.perf_counter()
    with session_scope() as session:
        study_id = None
        if code is not None:
            try:
                study_id = find_study(session, code[:40]).id
            except NotFound as error:
                raise click.BadParameter(str(error), param_hint="--study") from error
        created = run_rules(session, study_id=study_id)
    click.echo(f"data queries: {created:,} raised by the rules "
               f"({time.perf_counter() - started:.2f} s)")
