"""clinic.stats stays a pure library: no Flask, no database, no other clinic modules."""

import ast
import subprocess
import sys
from pathlib import Path

import clinic.stats

STATS_DIR = Path(clinic.stats.__file__).resolve().parent
REPO_ROOT = STATS_DIR.parents[1]

CHECK = """
import sys
import clinic.stats
import clinic.stats.analyze, clinic.stats.format
forbidden = [m for m in sys.modules
             if m.split(".")[0] in {"flask", "sqlalchemy", "sqlmodel", "flask_login", "alembic"}]
assert not forbidden, forbidden
others = [m for m in sys.modules
          if m.startswith("clinic.") and not m.startswith("clinic.stats")]
assert not others, others
"""


def test_import_pulls_in_neither_flask_nor_the_database() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=REPO_ROOT, capture_output=True, text=True,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": ""}, check=False,
    )
    assert result.returncode == 0, result.stderr


def test_sources_import_nothing_from_clinic_outside_stats() -> None:
    for path in STATS_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                name = node.module
            elif isinstance(node, ast.Import):
                name = node.names[0].name
            else:
                continue
            assert not name.startswith("clinic") or name.startswith("clinic.stats"), (path, name)
            assert name.split(".")[0] not in {"flask", "sqlalchemy", "sqlmodel"}, (path, name)


def test_small_modules_and_functions() -> None:
    """Layout rule of the issue: files under ~300 lines, functions under ~40 lines."""
    for path in STATS_DIR.glob("*.py"):
        source = path.read_text()
        assert source.count("\n") <= 300, path
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef):
                length = node.end_lineno - node.lineno + 1
                assert length <= 45, f"{path.name}:{node.name} has {length} lines"
