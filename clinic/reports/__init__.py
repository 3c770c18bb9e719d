"""Study reports: participant flow, Tables 1–6, the outcome figure and their exports.

``build_report(session, study_code, filters, timezone=...)`` reads the database once
(:mod:`clinic.reports.data`) and returns a :class:`Report` of format-independent
tables; :mod:`clinic.reports.render` turns it into HTML, PDF, XLSX, SPSS or CSV.

The names below load on first use (PEP 562): importing ``clinic.reports.filters`` or
starting the app does not import pandas, SciPy or ReportLab.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {"Report": "builder", "build_report": "builder", "compute_report": "builder",
          "ReportFilters": "filters", "filters_from_mapping": "filters"}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'clinic.reports' has no attribute {name!r}")
    return getattr(import_module(f"clinic.reports.{_HOMES[name]}"), name)
