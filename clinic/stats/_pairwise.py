"""Pairwise mean-rank comparisons (SPSS layout), shared by Friedman and Kruskal-Wallis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from clinic.stats.results import PAIRWISE_COLUMNS


def pairwise_table(labels: Sequence[Any], mean_ranks: np.ndarray, se: np.ndarray) -> pd.DataFrame:
    """All pairs a < b (in ``labels`` order): z = (R̄a - R̄b) / se[a, b].

    ``se`` is a k × k matrix of standard errors. p is two-sided normal;
    ``p_adj`` multiplies by the number of pairs (Bonferroni) and caps at 1.
    """
    k = len(labels)
    ia, ib = np.triu_indices(k, 1)
    diff = mean_ranks[ia] - mean_ranks[ib]
    se_pairs = se[ia, ib]
    z = diff / se_pairs
    p = np.minimum(2.0 * stats.norm.sf(np.abs(z)), 1.0)
    p_adj = np.minimum(p * ia.size, 1.0)
    return pd.DataFrame(
        {
            "a": [labels[i] for i in ia],
            "b": [labels[j] for j in ib],
            "statistic": diff,
            "se": se_pairs,
            "z": z,
            "p": p,
            "p_adj": p_adj,
        },
        columns=list(PAIRWISE_COLUMNS),
    )
