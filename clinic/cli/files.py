"""Files the commands write: a missing folder or a refused write is a one-line error
naming the option, not a traceback."""

from __future__ import annotations

from pathlib import Path

import click


def writable_file(path: str | Path, param_hint: str) -> Path:
    """``path``, to be written, once its folder is known to exist."""
    target = Path(path)
    if not target.parent.is_dir():
        raise click.BadParameter(f"there is no folder {target.parent}: create it first, or "
                                 "choose another file", param_hint=param_hint)
    return target


def write_text(path: str | Path, text: str, param_hint: str) -> None:
    target = writable_file(path, param_hint)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"Could not write {target}: "
                                   f"{error.strerror or error}.") from error
