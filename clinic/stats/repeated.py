"""Friedman's test on complete cases, Kendall's W and SPSS's pairwise comparisons.

The pairwise comparison is what SPSS 20 prints after the related-samples
Friedman test: z = (R̄a - R̄b) / sqrt(k(k+1) / (6n)), two-sided normal p,
Bonferroni over k(k-1)/2 pairs capped at 1 (Siegel & Castellan 1988). It is
computed directly here because ``scikit_posthocs.posthoc_siegel_friedman``
returns only the p matrix (no signed z / SE) and ranks raw floats; the test
suite checks that both give the same adjusted p on the same matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from clinic.stats._pairwise import pairwise_table
from clinic.stats._values import as_float_array, exact_values, plural
from clinic.stats.results import Friedman


def label_codes(
    column: pd.Series, order: Sequence[Any] | None, what: str = "timepoint"
) -> tuple[list[Any], np.ndarray]:
    """Levels of a label column and each row's level code.

    Levels are ``order`` when given (unknown labels raise ValueError), else the
    categorical order of the categories present, else order of first appearance.
    """
    codes, uniques = pd.factorize(column, sort=False)
    if order is not None:
        levels = list(order)
        if len(set(levels)) != len(levels):
            raise ValueError(f"{what} order has duplicates: {levels}")
    elif isinstance(column.dtype, pd.CategoricalDtype):
        present = set(uniques)
        levels = [c for c in column.cat.categories if c in present]
    else:
        return list(uniques), codes
    remap = pd.Index(levels).get_indexer(uniques)
    if (remap < 0).any():
        raise ValueError(f"{what}(s) not in the given order: {list(uniques[remap < 0])[:5]}")
    return levels, remap[codes]


def _check_labels(data: pd.DataFrame, columns: Sequence[str]) -> None:
    absent = [c for c in columns if c not in data.columns]
    if absent:
        raise ValueError(f"column(s) not in data: {absent}")
    for col in columns[:-1]:
        if data[col].isna().any():
            raise ValueError(f"column {col!r} has missing labels")


def wide_matrix(
    data: pd.DataFrame, subject: str, timepoint: str, value: str, order: Sequence[Any] | None
) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """Long → subjects × timepoints matrix (NaN where absent); duplicates raise ValueError."""
    _check_labels(data, [subject, timepoint, value])
    levels, t_codes = label_codes(data[timepoint], order)
    s_codes, s_labels = pd.factorize(data[subject], sort=False)
    k = len(levels)
    key = s_codes.astype(np.int64) * k + t_codes
    counts = np.bincount(key, minlength=len(s_labels) * k)
    if (counts > 1).any():
        dup = np.flatnonzero(counts > 1)[:5]
        pairs = [(s_labels[i // k], levels[i % k]) for i in dup]
        raise ValueError(f"duplicate {subject} × {timepoint} rows (first few): {pairs}")
    mat = np.full(len(s_labels) * k, np.nan)
    mat[key] = as_float_array(data[value])
    return mat.reshape(len(s_labels), k), np.asarray(s_labels), levels


def _friedman_core(mat: np.ndarray) -> tuple[np.ndarray, float]:
    """Column mean ranks and the tie sum Σ(t³ − t) over all subjects.

    Within-row ties get average ranks. Σ(t³ − t) for a row equals
    12 (Σi² − Σr²) with i = 1..k and r the average ranks (exact in float).
    """
    n, k = mat.shape
    ranks = stats.rankdata(exact_values(mat), method="average", axis=1)
    tie_sum = 12.0 * (n * k * (k + 1) * (2 * k + 1) / 6.0 - float(np.sum(ranks * ranks)))
    return ranks.mean(axis=0), tie_sum


def friedman(
    data: pd.DataFrame,
    subject: str = "subject",
    timepoint: str = "timepoint",
    value: str = "value",
    order: Sequence[Any] | None = None,
) -> Friedman:
    """Friedman χ² (tie-corrected) on subjects with a value at every timepoint.

    ``data`` is long format: one row per subject × timepoint. ``order`` fixes
    the timepoints (default: categorical order or first appearance); rows with
    other timepoints raise ValueError, as do duplicate subject × timepoint rows.
    Subjects with any missing value are excluded and listed in ``excluded``.
    """
    mat, subjects, levels = wide_matrix(data, subject, timepoint, value, order)
    complete = ~np.isnan(mat).any(axis=1)
    excluded = tuple(subjects[~complete].tolist())
    n, k = int(complete.sum()), len(levels)
    notes = (f"{plural(len(excluded), 'subject')} excluded (incomplete)",) if excluded else ()
    base: dict[str, Any] = {
        "n": n, "k": k, "excluded": excluded, "timepoints": tuple(levels), "notes": notes,
        "missing_values": int(np.isnan(mat).sum()),
    }
    if k < 2:
        return Friedman(reason="Friedman's test needs at least two timepoints", **base)
    if n == 0:
        return Friedman(reason="no subject has a value at every timepoint", **base)
    if n == 1:  # R and SPSS print a statistic for one subject; it carries no information
        return Friedman(reason="only one subject has a value at every timepoint", **base)
    mean_ranks, tie_sum = _friedman_core(mat[complete])
    base["mean_ranks"] = dict(zip(levels, mean_ranks.tolist(), strict=True))
    denominator = n * k * (k + 1) - tie_sum / (k - 1)
    if denominator <= 0:
        return Friedman(reason="every subject has the same value at all timepoints", **base)
    chi2 = 12.0 * n * n * float(np.sum((mean_ranks - (k + 1) / 2.0) ** 2)) / denominator
    se = np.full((k, k), np.sqrt(k * (k + 1) / (6.0 * n)))
    return Friedman(
        statistic=chi2,
        df=k - 1,
        p=float(stats.chi2.sf(chi2, k - 1)),
        kendall_w=chi2 / (n * (k - 1)),
        pairwise=pairwise_table(levels, mean_ranks, se),
        **base,
    )
