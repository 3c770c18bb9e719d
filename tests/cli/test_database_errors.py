"""A database the command cannot use is said in one line, with a non-zero exit: found
trying the command line as a new user would (a wrong URL or a missing folder printed
a SQLAlchemy traceback; an empty database was followed by "No such command 'study'")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def _flask(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLINIC_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "clinic", *args],
                          capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)


BROKEN = [("bogus://nowhere", "Can't load plugin"),
          ("not a url at all", "not a database URL"),
          ("sqlite:///{tmp}/missing-folder/clinic.db", "unable to open database file")]
EMPTY = ("sqlite:///{tmp}/empty.db", "Run: flask --app clinic init-db")  # init-db mends it
CASES = [(url, said, command) for url, said in BROKEN
         for command in (("study", "show", "DEMO"), ("init-db",))]
CASES.append((*EMPTY, ("study", "show", "DEMO")))


@pytest.mark.parametrize("url, said, command", CASES)
def test_a_database_that_cannot_be_used_is_one_line(tmp_path, url, said, command):
    done = _flask(url.format(tmp=tmp_path), *command)
    assert done.returncode == 1, done.stdout + done.stderr
    assert said in done.stderr and "Traceback" not in done.stderr
    assert "No such command" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
