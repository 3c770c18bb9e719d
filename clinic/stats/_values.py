"""Input cleaning, exact-value rounding and tie-aware ranking shared by all tests.

Every public function of :mod:`clinic.stats` funnels its numeric input through
:func:`clean`, which drops missing values *explicitly* (and counts them) and
rejects anything that is not a finite number with a clear ``ValueError``.

Rank-based tests never rank raw floats: they rank :func:`exact_values`, the
values rounded to :data:`EXACT_DECIMALS` decimals, so that scores derived in
floating point (ODI % = score / 50 * 100, 0.1 + 0.2, ...) tie with the equal
scores they stand for.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

EXACT_DECIMALS = 6
"""Decimals kept by :func:`exact_values` (clinical scores never need more)."""


def exact_values(values: Any, decimals: int = EXACT_DECIMALS) -> np.ndarray:
    """Return ``values`` as float64 rounded to ``decimals`` decimals.

    ``exact_values([0.1 + 0.2, 0.3])`` is ``array([0.3, 0.3])``: the two tie.
    Negative zero is normalised to zero. Missing values stay NaN.
    """
    arr = np.round(np.asarray(values, dtype=float), decimals)
    return arr + 0.0  # -0.0 + 0.0 == +0.0


def _element_to_float(item: Any) -> float:
    if item is None or item is pd.NA or item is pd.NaT:
        return math.nan
    if isinstance(item, bool | np.bool_) or not isinstance(item, Real | np.number):
        raise ValueError(f"non-numeric value {item!r}: expected numbers or missing values")
    return float(item)


def as_float_array(values: Any) -> np.ndarray:
    """Convert a 1-D array-like of numbers / missing markers to float64 (NaN = missing).

    Accepts lists, tuples, NumPy arrays and pandas Series (including nullable
    dtypes). Strings, booleans and infinite values raise ``ValueError``.
    """
    if isinstance(values, pd.Series | pd.Index):
        numeric = isinstance(values.dtype, np.dtype) and values.dtype.kind in "iuf"
        arr = values.to_numpy() if numeric else values.to_numpy(dtype=object)
    else:
        if isinstance(values, list | tuple) and any(isinstance(v, bool) for v in values):
            raise ValueError("boolean values are not measurements")
        arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"expected a one-dimensional sequence of values, got {arr.ndim}-D")
    if arr.dtype.kind in "iuf":
        out = arr.astype(float)
    elif arr.dtype.kind == "O":
        out = np.fromiter((_element_to_float(v) for v in arr), dtype=float, count=arr.size)
    else:
        raise ValueError(f"non-numeric values (dtype {arr.dtype}): expected numbers")
    if np.isinf(out).any():
        raise ValueError("infinite values are not valid measurements")
    return out


def clean(values: Any) -> tuple[np.ndarray, int]:
    """Return ``(finite values, number of missing values dropped)``."""
    arr = as_float_array(values)
    missing = np.isnan(arr)
    n_missing = int(missing.sum())
    return (arr[~missing] if n_missing else arr), n_missing


def is_constant(values: np.ndarray) -> bool:
    """True when all values are equal after exact-value rounding (or fewer than 2)."""
    if values.size < 2:
        return True
    ev = exact_values(values)
    return bool(ev.min() == ev.max())


def rank_with_ties(values: np.ndarray) -> tuple[np.ndarray, float, int]:
    """Average ranks (1-based) of the exact values, the tie sum Σ(t³ − t), distinct count."""
    _, inverse, counts = np.unique(exact_values(values), return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)
    average = upper - (counts - 1) / 2.0
    t = counts.astype(float)
    return average[inverse], float(np.sum(t**3 - t)), int(counts.size)


def plural(n: int, word: str) -> str:
    """``plural(1, "value") == "1 value"``, ``plural(2, "value") == "2 values"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
