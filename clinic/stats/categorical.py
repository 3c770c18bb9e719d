"""Pearson's χ² (no Yates correction) with Fisher's exact test for sparse tables.

SPSS 20's CROSSTABS prints Pearson Chi-Square (uncorrected), Fisher's Exact
Test for 2×2 tables, and the footnote "n cells (x%) have expected count less
than 5. The minimum expected count is m." For a larger table with an expected count
below 5 the exact test is Fisher–Freeman–Halton's (SPSS Exact Tests' "Fisher's Exact
Test", R's ``fisher.test``), computed in :mod:`clinic.stats.exact` (scipy's R×C
alternative is a Monte Carlo approximation, not exact); a table too large for it to
enumerate in a few seconds keeps the χ² p, and says why (``exact_too_large``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from clinic.stats._values import plural
from clinic.stats.exact import fisher_freeman_halton
from clinic.stats.results import ChiSquare


def _as_table(table: Any) -> tuple[np.ndarray, list[Any], list[Any]]:
    if isinstance(table, pd.DataFrame):
        rows, cols = list(table.index), list(table.columns)
        arr = table.to_numpy(dtype=float, na_value=np.nan)
    else:
        arr = np.asarray(table, dtype=float)
        if arr.ndim != 2:
            raise ValueError(f"a contingency table must be 2-D, got {arr.ndim}-D")
        rows, cols = list(range(arr.shape[0])), list(range(arr.shape[1]))
    if not np.isfinite(arr).all():
        raise ValueError("contingency table contains missing or infinite counts")
    if (arr < 0).any() or (arr != np.round(arr)).any():
        raise ValueError("contingency table counts must be non-negative whole numbers")
    return arr, rows, cols


def _drop_empty(
    arr: np.ndarray, rows: list[Any], cols: list[Any]
) -> tuple[np.ndarray, dict[str, Any], tuple[str, ...]]:
    keep_r, keep_c = arr.sum(axis=1) > 0, arr.sum(axis=0) > 0
    dropped_r = tuple(r for r, k in zip(rows, keep_r, strict=True) if not k)
    dropped_c = tuple(c for c, k in zip(cols, keep_c, strict=True) if not k)
    notes = []
    if dropped_r:
        notes.append(f"dropped all-zero {plural(len(dropped_r), 'row')}: {list(dropped_r)}")
    if dropped_c:
        notes.append(f"dropped all-zero {plural(len(dropped_c), 'column')}: {list(dropped_c)}")
    labels = {
        "rows": tuple(r for r, k in zip(rows, keep_r, strict=True) if k),
        "cols": tuple(c for c, k in zip(cols, keep_c, strict=True) if k),
        "dropped_rows": dropped_r,
        "dropped_cols": dropped_c,
    }
    return arr[keep_r][:, keep_c], labels, tuple(notes)


def chi_square(table: Any) -> ChiSquare:
    """Pearson χ² test of independence on a 2-D table of counts.

    ``table`` is an array-like or a DataFrame (labels kept). All-zero rows and
    columns are dropped and reported. Not computable when fewer than two
    non-empty rows or columns remain.
    """
    arr, rows, cols = _as_table(table)
    arr, labels, notes = _drop_empty(arr, rows, cols)
    base: dict[str, Any] = {"n": int(arr.sum()), "notes": notes, **labels}
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        return ChiSquare(
            reason="a test needs at least two non-empty rows and two non-empty columns", **base
        )
    res = stats.chi2_contingency(arr, correction=False)
    expected = np.asarray(res.expected_freq, dtype=float)
    below = int((expected < 5).sum())
    fisher_p = None
    if arr.shape == (2, 2) and below:
        fisher_p = float(stats.fisher_exact(arr.astype(np.int64)).pvalue)
    elif below:
        fisher_p = fisher_freeman_halton(arr)
    return ChiSquare(
        statistic=float(res.statistic),
        df=int(res.dof),
        p=float(res.pvalue),
        fisher_p=fisher_p,
        exact_too_large=bool(below) and fisher_p is None,
        min_expected=float(expected.min()),
        cells_below_5=below,
        pct_cells_below_5=100.0 * below / expected.size,
        n_cells=int(expected.size),
        expected=tuple(tuple(float(v) for v in row) for row in expected),
        **base,
    )
