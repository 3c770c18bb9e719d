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
        raise not_written(target, error) from error


def not_written(target: Path, error: OSError) -> click.ClickException:
    """A refused write in words: a folder that exists but takes no new file (/proc, a
    read-only mount) answered "No such file or directory", which read as a typo."""
    why = error.strerror or str(error)
    if isinstance(error, FileNotFoundError) and target.parent.is_dir():
        why = f"the folder {target.parent} does not take new files"
    elif isinstance(error, PermissionError):
        why = f"no permission to write in {target.parent}"
    return click.ClickException(f"Could not write {target}: {why}.")


def format_of(fmt: str | None, out: Path, endings: dict[str, tuple[str, ...]], default: str,
              *, several: frozenset[str] = frozenset()) -> str:
    """The format a command writes ``out`` in: the one asked for, or, none asked, the one
    its ending names (report.xlsx is a workbook), else ``default``. An ending that names
    no format of the command, or another format than the one asked for, is refused
    before anything is written: a PDF saved as report.zip, or CSV as audit.xlsx, opens
    as a broken file. A folder (existing, or ``out`` without an ending) takes any format.
    ``endings``: each format's file endings, the first the one proposed; ``several``:
    formats that may write a folder of files instead."""
    suffix = out.suffix.lower()
    named = next((name for name, ends in endings.items() if suffix in ends), None)
    if not suffix or out.is_dir():
        return fmt or default
    if fmt is None and named is not None:
        return named
    if fmt is not None and suffix in endings[fmt]:
        return fmt
    known = ", ".join(dict.fromkeys(end for ends in endings.values() for end in ends))
    if fmt is None:
        raise click.UsageError(f"--out {out.name}: {suffix} is not an ending this command "
                               f"writes ({known}); rename the file, or give --format.")
    folder = " (or a folder's name, without an ending)" if fmt in several else ""
    if suffix == f".{fmt}" and fmt in several:  # "ends in .csv but --format is csv"
        raise click.UsageError(f"--out {out.name}: --format {fmt} writes several files, not "
                               f"one {suffix} file: name a {endings[fmt][0]} file "
                               f"({out.stem}{endings[fmt][0]}) or a folder ({out.stem}).")
    other = f", or give --format {named}" if named is not None else ""
    raise click.UsageError(f"--out {out.name} ends in {suffix} but --format is {fmt}: name "
                           f"the file {out.stem}{endings[fmt][0]}{folder}{other}.")
