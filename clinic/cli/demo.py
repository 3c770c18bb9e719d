"""seed-demo: the SYNTHETIC demo study."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from clinic.db import session_scope
from clinic.demo.staff import logins
from clinic.exceptions import ValidationError
from clinic.web.filters import clinic_today


@click.command("seed-demo")
@click.option("--patients", default=200, show_default=True, type=click.IntRange(2, 100_000))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--if-missing", is_flag=True,
              help="Do nothing (but print the logins) if DEMO exists.")
@with_appcontext
def seed_demo_command(patients: int, seed: int, if_missing: bool) -> None:
    """Create the SYNTHETIC demo study DEMO with its sites, users and patients."""
    if if_missing and _demo_exists():
        click.echo("The SYNTHETIC demo study DEMO is already loaded.")
        _print_logins()
        return
    from clinic.demo.seed import seed_demo  # NumPy: loaded only when seeding

    try:
        with session_scope() as session:
            result = seed_demo(session, patients=patients, seed=seed, today=clinic_today(),
                               timezone=current_app.config["TIMEZONE"])
    except ValidationError as error:
        raise click.ClickException(f"{error} (is the demo already loaded?)") from error
    arms = ", ".join(f"arm {code}: {n}" for code, n in sorted(result.by_arm.items()))
    click.echo(f"SYNTHETIC demo study DEMO: screened {result.screened}, "
               f"enrolled {result.enrolled} ({arms}); {result.queries} automatic data "
               "queries raised.")
    _print_logins()


def _demo_exists() -> bool:
    from sqlmodel import select

    from clinic.models import Study

    with session_scope() as session:
        return session.exec(select(Study.id).where(Study.code == "DEMO")).first() is not None


def _print_logins() -> None:
    click.echo("Demo logins (synthetic data only):")
    for role, email, password in logins():
        click.echo(f"  {role:<12} {email:<28} {password}")
