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


PAGES = ("flask_wtf", "clinic.web.screens", "clinic.api.views", "clinic.reports.views",
         "clinic.web.worklist")


def _pages_loaded(args: list[str], env: dict[str, str]) -> list[str]:
    probe = PROBE.replace("{heavy!r}", repr(PAGES))
    done = subprocess.run([sys.executable, "-c", probe, json.dumps(args)], capture_output=True,
                          text=True, env=env, timeout=120, cwd=Path(__file__).parents[2])
    line = [x for x in done.stdout.splitlines() if x.startswith("LOADED=")]
    assert line, done.stdout + done.stderr
    return json.loads(line[-1].removeprefix("LOADED="))


@pytest.mark.parametrize("args", [["--help"], ["report", "--help"], ["reminders", "run-once"],
                                  ["--app", "clinic", "audit", "--help"]])
def test_clinic_commands_leave_the_pages_and_their_forms_unloaded(args, cli_env):
    assert _pages_loaded(args, cli_env) == []


@pytest.mark.parametrize("args", [["routes"], ["no-such-command"]])
def test_flask_s_own_commands_and_unknown_ones_get_the_whole_app(args, cli_env):
    assert _pages_loaded(args, cli_env) == sorted(PAGES)


def test_flask_routes_lists_the_pages(cli_env):
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "clinic", "routes"],
                          capture_output=True, text=True, env=cli_env, timeout=120,
                          cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr
    assert "/worklist" in done.stdout and "/api/v1/patients" in done.stdout


@pytest.mark.parametrize(("argv", "word"), [
    (["flask", "--app", "clinic", "report", "--help"], "report"),
    (["flask", "-A", "clinic", "-e", ".env", "reminders", "run-once"], "reminders"),
    (["flask", "--app=clinic", "--debug", "routes"], "routes"),
    (["flask", "--app", "clinic", "--help"], None),
    (["flask"], None),
])
def test_the_command_word_skips_the_flask_command_s_own_options(argv, word):
    from clinic.cli import command_word

    assert command_word(argv) == word


def test_outside_the_flask_command_the_app_always_has_its_pages(monkeypatch):
    from clinic.cli import runs_without_pages

    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    assert runs_without_pages(["gunicorn", "report"]) is False
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    assert runs_without_pages(["flask", "--app", "clinic", "report"]) is True
    assert runs_without_pages(["flask", "--app", "clinic", "shell"]) is False


def test_an_app_built_for_a_command_serves_no_page(monkeypatch, app):
    from clinic import create_app

    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    monkeypatch.setattr(sys, "argv", ["flask", "--app", "clinic", "report"])
    from clinic.db import get_engine

    built = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "x",
                        "TESTING": True})
    try:
        client = built.test_client()
        assert client.get("/login").status_code == 404
        assert client.post("/login", data={"email": "a@b.c", "password": "x"}).status_code == 404
        assert client.get("/api/v1/patients").status_code == 404
    finally:
        get_engine(built).dispose()  # its own pool: no connection left for the next test
