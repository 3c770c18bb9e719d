"""Helpers for tests/stats: load the R reference JSON and compare numbers."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
REL_TOL = 1e-9
ABS_TOL = 1e-14


def load_cases(name: str) -> list[dict[str, Any]]:
    """The ``cases`` of ``reference/<name>.json`` (written by make_reference.R)."""
    return json.loads((REFERENCE_DIR / f"{name}.json").read_text())["cases"]


def case_ids(cases: list[dict[str, Any]] | dict[str, Any]) -> list[str] | str:
    """pytest ids: the case names (works as a list or as an ``ids=`` callable)."""
    if isinstance(cases, dict):
        return cases["name"]
    return [c["name"] for c in cases]


def nan_list(values: list[Any]) -> list[float]:
    """JSON null → NaN."""
    return [math.nan if v is None else float(v) for v in values]


def present(values: list[Any]) -> list[float]:
    """The non-missing values."""
    return [float(v) for v in values if v is not None]


def assert_close(actual: Any, expected: Any, rel: float = REL_TOL, abs_: float = ABS_TOL) -> None:
    """Both None, or both numbers equal to ``rel`` relative (``abs_`` absolute near 0)."""
    if expected is None:
        assert actual is None, f"expected None, got {actual!r}"
        return
    assert actual is not None, f"expected {expected!r}, got None"
    assert math.isclose(float(actual), float(expected), rel_tol=rel, abs_tol=abs_), (
        f"{actual!r} != {expected!r} "
        f"(rel diff {abs(actual - expected) / max(abs(expected), 1e-300):.3g})"
    )


def differs(a: float, b: float, rel: float = 1e-6) -> bool:
    """True when a and b differ clearly (used to prove a library default is wrong)."""
    return not math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def long_frame(case: dict[str, Any], drop_missing_rows: int = 0) -> pd.DataFrame:
    """Friedman reference case → long DataFrame; the first ``drop_missing_rows``
    missing cells become absent rows instead of NaN rows (both must be excluded)."""
    rows = []
    dropped = 0
    for subject, values in zip(case["subjects"], case["matrix"], strict=True):
        for tp, v in zip(case["timepoints"], values, strict=True):
            if v is None and dropped < drop_missing_rows:
                dropped += 1
                continue
            value = math.nan if v is None else v
            rows.append({"subject": subject, "timepoint": tp, "value": value})
    return pd.DataFrame(rows)
