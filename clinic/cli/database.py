"""init-db and create-user."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from clinic.auth.service import create_user, give_studies
from clinic.catalog import ROLES
from clinic.db import (
    get_engine,
    opened_engine,
    schema_revisions,
    session_scope,
    upgrade_to_head,
)
from clinic.exceptions import DatabaseUnavailable, ValidationError


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or migrate the database schema to the newest revision."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        opened_engine(app)
    except DatabaseUnavailable as error:
        raise click.ClickException(str(error)) from None
    upgrade_to_head(app)
    current, _head = schema_revisions(get_engine())
    click.echo(f"Database at schema revision {current}: {get_engine().url.render_as_string()}")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(sorted(ROLES)))
@click.option("--site", "site_code", default=None, help="Site code (nurses belong to a site).")
@click.option("--study", "studies", multiple=True,
              help="Monitors: the code of a study they monitor (repeat for more).")
@click.password_option()
@with_appcontext
def create_user_command(email: str, name: str, role: str, site_code: str | None,
                        studies: tuple[str, ...], password: str) -> None:
    """Create a user who can log in."""
    try:
        with session_scope() as session:
            user = create_user(session, email=email, name=name, role=role,
                               password=password, site_code=site_code)
            given = give_studies(session, user=user, study_codes=list(studies)) \
                if studies else []
            click.echo(f"Created {user.role} {user.email}"
                       + (f", monitoring {', '.join(given)}" if given else ""))
            if role == "monitor" and not given:
                click.echo("A monitor sees no study until given one: --study CODE, or "
                           "Admin -> Users -> the monitor.")
    except ValidationError as error:
        raise click.UsageError(str(error)) from error
