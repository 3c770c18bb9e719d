"""Command-line interface, Flask's convention: ``flask --app clinic COMMAND``."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click
from flask import Flask

from clinic.cli.analyze import analyze_command
from clinic.cli.audit import audit_group
from clinic.cli.database import create_user_command, init_db_command
from clinic.cli.demo import seed_demo_command
from clinic.cli.dose import dose_group
from clinic.cli.fhir import fhir_group
from clinic.cli.queries import queries_group
from clinic.cli.reminders import reminders_group, scheduler_command
from clinic.cli.report import report_command
from clinic.cli.study import study_group

COMMANDS = (init_db_command, create_user_command, seed_demo_command, analyze_command,
            reminders_group, scheduler_command, report_command, study_group, audit_group,
            queries_group, fhir_group, dose_group)
# The ``flask`` command's own options that take a value (``flask --app clinic …``).
_VALUED_OPTIONS = ("--app", "-A", "--env-file", "-e")


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        refuse_blank_values(command)
        app.cli.add_command(command)


def refuse_blank_values(command: click.Command) -> None:
    """Every option or argument of ``command`` (and of its subcommands) given an empty
    value (``--as-of ""``, ``--out=``, a shell variable left unset) is a usage error: the
    report was made as of today, the audit export of a whole study for ``--patient ""``,
    the FHIR export written into the current folder for ``--out ""``."""
    if getattr(command, "_blank_refused", False):
        return
    for sub in getattr(command, "commands", {}).values():  # a group: each command checks
        refuse_blank_values(sub)  # its own (its usage line is the one to show)
    if isinstance(command, click.Group):
        return
    parse = command.parse_args

    def parse_args(ctx: click.Context, args: list[str]) -> list[str]:
        for i, arg in enumerate(args):
            name, equals, value = arg.partition("=")
            if equals and name.startswith("--") and not value.strip():
                blank = name
            elif not arg.strip() and i and args[i - 1].startswith("-"):
                blank = args[i - 1]
            elif not arg.strip():
                raise click.UsageError(f"Argument {_argument_named(command, args, i)} is "
                                       "empty: give it a value.", ctx=ctx)
            else:
                continue
            raise click.UsageError(f"{blank} was given an empty value: give one, or leave "
                                   "the option out.", ctx=ctx)
        return parse(ctx, args)

    command.parse_args = parse_args  # type: ignore[method-assign]
    command._blank_refused = True  # type: ignore[attr-defined]


def _argument_named(command: click.Command, args: list[str], at: int) -> str:
    """The name of the positional argument at ``args[at]`` (as the usage line spells it),
    counting the words before it that are neither options nor their values."""
    flags = {name for p in command.params if isinstance(p, click.Option) and p.is_flag
             for name in (*p.opts, *p.secondary_opts)}
    place, i = 0, 0
    while i < at:
        word = args[i]
        if word.startswith("-"):
            i += 1 if word in flags or "=" in word else 2
            continue
        place, i = place + 1, i + 1
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    return arguments[place].human_readable_name if place < len(arguments) else "?"


def runs_without_pages(argv: Sequence[str] | None = None) -> bool:
    """True when this process is the ``flask`` command running one of clinic's own
    commands, or only asking for its help: such a process serves no page and links to
    none (e-mails link through PUBLIC_URL), so the factory leaves the pages, their forms
    and the API unloaded, about a quarter of every command's start. ``flask run``,
    ``flask routes``, ``flask shell`` and anything unknown get the whole app."""
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
        return False
    word = command_word(sys.argv if argv is None else argv)
    return word is None or word in {command.name for command in COMMANDS}


def command_word(argv: Sequence[str]) -> str | None:
    """The command a ``flask`` command line names (``report`` in ``flask --app clinic
    report --help``), or None when it names none."""
    words = iter(argv[1:])
    for word in words:
        if word in _VALUED_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None
