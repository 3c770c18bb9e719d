"""Result records returned by the statistics engine.

Every record is a frozen dataclass with two common fields:

``reason``
    ``None`` when the headline statistic was computed. Otherwise a human
    readable explanation of why it could not be (too few values, all values
    tied, zero variance, ...). In that case the headline numeric fields are
    ``None`` - never NaN, never a made-up number. Fields that remain well
    defined (counts, rank sums) are still filled in.
``notes``
    Non-fatal remarks: missing values dropped, a secondary statistic that was
    not computable (e.g. Shapiro-Wilk above n = 5000), rows dropped from a
    contingency table.

Floats are plain Python ``float``. Mappings keyed by group or timepoint keep
the caller's order. ``pairwise`` tables are pandas DataFrames with columns
``a, b, statistic, se, z, p, p_adj`` (``statistic`` is the mean-rank
difference ``a - b``, ``z = statistic / se``, ``p`` two-sided normal,
``p_adj`` Bonferroni over all pairs, capped at 1) - the columns SPSS prints as
Test Statistic, Std. Error, Std. Test Statistic, Sig. and Adj. Sig.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

PAIRWISE_COLUMNS = ("a", "b", "statistic", "se", "z", "p", "p_adj")


@dataclass(frozen=True, kw_only=True)
class Result:
    """Common base: ``reason`` (None = computed) and ``notes``."""

    reason: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def computable(self) -> bool:
        """True when the headline statistic was computed."""
        return self.reason is None


@dataclass(frozen=True, kw_only=True)
class Describe(Result):
    """Descriptive statistics; quartiles use SPSS HAVERAGE (R type 6)."""

    n: int = 0
    missing: int = 0
    mean: float | None = None
    sd: float | None = None  # ddof = 1; None when n < 2
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    iqr: float | None = None
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True, kw_only=True)
class Normality(Result):
    """KS with Lilliefors correction beside Shapiro-Wilk.

    ``is_normal`` is ``ks_p >= alpha`` (the paper decided on KS). ``reason``
    refers to the KS test (the decision); Shapiro-Wilk has its own
    ``shapiro_reason``. ``ks_p_at_least_0_2`` tells reports to print
    "≥ 0.200" as SPSS does (it prints .200 as a lower bound).
    """

    n: int = 0
    missing: int = 0
    ks_d: float | None = None
    ks_p: float | None = None
    ks_p_at_least_0_2: bool | None = None
    shapiro_w: float | None = None
    shapiro_p: float | None = None
    shapiro_reason: str | None = None
    is_normal: bool | None = None
    alpha: float = 0.05


@dataclass(frozen=True, kw_only=True)
class MannWhitney(Result):
    """Mann-Whitney U as SPSS prints it.

    ``u = min(u1, u2)``; ``u1`` counts pairs with x > y (ties count 1/2).
    ``z = (u - n1 n2 / 2) / σ`` with the tie-corrected σ and no continuity
    correction, hence ``z <= 0`` like SPSS; ``p`` is its two-sided normal p.
    ``p_exact`` is the exact two-sided p, only when there are no ties and
    n1, n2 <= 50 (else None). ``r = |z| / sqrt(n1 + n2)``.
    ``rank_biserial = (u1 - u2) / (n1 n2)``: positive when x tends to be larger.
    """

    n1: int = 0
    n2: int = 0
    missing_x: int = 0
    missing_y: int = 0
    u: float | None = None
    u1: float | None = None
    u2: float | None = None
    z: float | None = None
    p: float | None = None
    p_exact: float | None = None
    r: float | None = None
    rank_biserial: float | None = None
    mean_rank_x: float | None = None
    mean_rank_y: float | None = None
    rank_sum_x: float | None = None
    rank_sum_y: float | None = None


@dataclass(frozen=True, kw_only=True)
class TTest(Result):
    """Student's t (equal variances) with Welch's t, mean-centred Levene and Cohen's d.

    ``t`` uses ``mean(x) - mean(y)``. ``cohen_d`` divides that difference by
    the pooled SD. Welch and Levene have their own ``*_reason`` when undefined.
    """

    n1: int = 0
    n2: int = 0
    missing_x: int = 0
    missing_y: int = 0
    mean_diff: float | None = None
    t: float | None = None
    df: float | None = None
    p: float | None = None
    welch_t: float | None = None
    welch_df: float | None = None
    welch_p: float | None = None
    welch_reason: str | None = None
    levene_f: float | None = None
    levene_df1: int | None = None
    levene_df2: int | None = None
    levene_p: float | None = None
    levene_reason: str | None = None
    cohen_d: float | None = None


@dataclass(frozen=True, kw_only=True)
class ChiSquare(Result):
    """Pearson χ² without Yates, Fisher's exact p for sparse tables, SPSS footnote fields.

    ``fisher_p`` is set only for a table with any expected count < 5: Fisher's exact
    test for a 2×2 table, Fisher–Freeman–Halton's for a larger one, unless it was too
    large to enumerate (``exact_too_large``).
    ``expected`` is the expected-count table (rows × columns, after dropping
    all-zero rows/columns, which are listed in ``dropped_rows`` / ``dropped_cols``).
    """

    statistic: float | None = None
    df: int | None = None
    p: float | None = None
    fisher_p: float | None = None
    exact_too_large: bool = False
    min_expected: float | None = None
    cells_below_5: int | None = None
    pct_cells_below_5: float | None = None
    n_cells: int | None = None
    n: int = 0
    rows: tuple[Any, ...] = ()
    cols: tuple[Any, ...] = ()
    expected: tuple[tuple[float, ...], ...] | None = None
    dropped_rows: tuple[Any, ...] = ()
    dropped_cols: tuple[Any, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Friedman(Result):
    """Friedman χ² (tie-corrected) on complete cases, Kendall's W, SPSS pairwise.

    ``n`` subjects had a value at every timepoint; ``excluded`` lists the
    others. ``mean_ranks`` is ordered like ``timepoints``. ``pairwise`` uses
    z = (R̄a - R̄b) / sqrt(k(k+1)/(6n)) (Siegel-Castellan, SPSS).
    """

    statistic: float | None = None
    df: int | None = None
    p: float | None = None
    n: int = 0
    k: int = 0
    excluded: tuple[Any, ...] = ()
    missing_values: int = 0
    kendall_w: float | None = None
    timepoints: tuple[Any, ...] = ()
    mean_ranks: dict[Any, float] | None = None
    pairwise: pd.DataFrame | None = None


@dataclass(frozen=True, kw_only=True)
class KruskalWallis(Result):
    """Kruskal-Wallis H (tie-corrected) with Dunn's pairwise test (tie-corrected SE)."""

    statistic: float | None = None
    df: int | None = None
    p: float | None = None
    n: int = 0
    group_n: dict[Any, int] | None = None
    missing: dict[Any, int] | None = None
    mean_ranks: dict[Any, float] | None = None
    pairwise: pd.DataFrame | None = None


@dataclass(frozen=True, kw_only=True)
class GroupComparison(Result):
    """Outcome of :func:`clinic.stats.compare_groups`.

    ``test`` is "student_t", "mann_whitney" or "kruskal_wallis" (None when no
    test could be chosen); ``statistic`` is t, U or H; ``result`` is the
    underlying record; ``descriptives`` / ``normality`` are per group.
    """

    test: str | None = None
    reason_for_test: str | None = None
    statistic: float | None = None
    p: float | None = None
    result: TTest | MannWhitney | KruskalWallis | None = None
    descriptives: dict[Any, Describe] | None = None
    normality: dict[Any, Normality] | None = None


@dataclass(frozen=True, kw_only=True)
class CategoricalComparison(Result):
    """Outcome of :func:`clinic.stats.compare_categorical`.

    ``test`` is "pearson_chi_square", "fisher_exact" (2×2) or "fisher_freeman_halton"
    (larger); ``p`` is that test's p.
    """

    test: str | None = None
    reason_for_test: str | None = None
    statistic: float | None = None
    p: float | None = None
    result: ChiSquare | None = None
