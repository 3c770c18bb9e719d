"""clinic.stats: the statistics engine (prints what SPSS 20 prints for the same data).

Pure NumPy / SciPy / pandas / statsmodels: importing it never imports Flask,
SQLAlchemy or any other part of ``clinic``. Every function returns a frozen
dataclass from :mod:`clinic.stats.results` with ``reason`` set (and the
statistics None) when a statistic cannot be computed.
"""

import clinic.stats.pandas_setup  # noqa: F401  (texts in Python strings)
from clinic.stats._values import EXACT_DECIMALS, exact_values
from clinic.stats.analyze import AnalysisReport, analyze_frame, render_text, to_json_dict
from clinic.stats.categorical import chi_square
from clinic.stats.compare import compare_categorical, compare_groups
from clinic.stats.describe import describe
from clinic.stats.nonparametric import kruskal_wallis, mann_whitney
from clinic.stats.normality import normality
from clinic.stats.parametric import t_test
from clinic.stats.repeated import friedman
from clinic.stats.results import (
    CategoricalComparison,
    ChiSquare,
    Describe,
    Friedman,
    GroupComparison,
    KruskalWallis,
    MannWhitney,
    Normality,
    Result,
    TTest,
)

__all__ = [
    "EXACT_DECIMALS",
    "AnalysisReport",
    "CategoricalComparison",
    "ChiSquare",
    "Describe",
    "Friedman",
    "GroupComparison",
    "KruskalWallis",
    "MannWhitney",
    "Normality",
    "Result",
    "TTest",
    "analyze_frame",
    "chi_square",
    "compare_categorical",
    "compare_groups",
    "describe",
    "exact_values",
    "friedman",
    "kruskal_wallis",
    "mann_whitney",
    "normality",
    "render_text",
    "t_test",
    "to_json_dict",
]
