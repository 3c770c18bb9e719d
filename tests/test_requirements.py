"""Every package the app imports is pinned in requirements.txt (the first command
installs only that file; the test dependencies must not hide a missing one)."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pinned() -> set[str]:
    names = set()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            names.add(_normal(re.split(r"[=<>!~\[; ]", line)[0]))
    return names


def _with_dependencies(names: set[str]) -> set[str]:
    """The pinned distributions and what they install (Flask brings Werkzeug, Jinja2…)."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            wanted = requires(name) or []
        except PackageNotFoundError:
            continue
        todo += [_normal(re.split(r"[=<>!~\[; (]", r)[0]) for r in wanted if "extra ==" not in r]
    return seen


def _imported_top_levels() -> set[str]:
    found = set()
    for path in (ROOT / "clinic").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"clinic", "__future__"}


def test_every_imported_package_is_pinned():
    pinned, owners = _with_dependencies(_pinned()), packages_distributions()
    missing = sorted(module for module in _imported_top_levels()
                     if not {_normal(d) for d in owners.get(module, [module])} & pinned)
    assert not missing, f"imported by clinic/ but not in requirements.txt: {missing}"
