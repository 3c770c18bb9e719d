"""Commands that need no statistics start without pandas, SciPy, statsmodels, matplotlib
or ReportLab (issue: ``flask --help`` took 2.7 s, 60 % of it importing them)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("pandas", "scipy", "statsmodels", "matplotlib", "reportlab", "openpyxl",
         "pyreadstat", "scikit_posthocs", "pydicom", "fhir")
PROBE = """
import json, sys
from flask.cli import main
sys.argv = ["flask", "--app", "clinic", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
print("LOADED=" + json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _loaded(args: list[str], env: dict[str, str]) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), json.dumps(args)],
                          capture_output=True, text=True, env=env, timeout=120,
                          cwd=Path(__file__).parents[2])
    line = [x for x in done.stdout.splitlines() if x.startswith("LOADED=")]
    assert line, done.stdout + done.stderr
    return json.loads(line[-1].removeprefix("LOADED="))


@pytest.fixture
def cli_env(app, tmp_path) -> dict[str, str]:
    import os

    return {**os.environ, "CLINIC_DATABASE_URL": app.config["DATABASE_URL"],
            "CLINIC_SECRET_KEY": "test-secret-key"}


@pytest.mark.parametrize("args", [["--help"], ["report", "--help"], ["analyze", "--help"],
                                  ["seed-demo", "--help"], ["reminders", "run-once"]])
def test_commands_that_need_no_statistics_load_none_of_the_heavy_libraries(args, cli_env):
    assert _loaded(args, cli_env) == []


def test_the_web_worker_entry_point_warms_them_up(cli_env):
    probe = "import sys, wsgi; print('LOADED=' + str(sorted(m for m in %r if m in sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe % (HEAVY,)], capture_output=True,
                          text=True, env=cli_env, timeout=120, cwd=Path(__file__).parents[2])
    assert "pandas" in done.stdout and "reportlab" in done.stdout, done.stderr
