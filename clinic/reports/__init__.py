"""Study reports: participant flow, Tables 1–6, the outcome figure and their exports.

``build_report(session, study_code, filters, timezone=...)`` reads the database once
(:mod:`clinic.reports.data`) and returns a :class:`Report` of format-independent
tables; :mod:`clinic.reports.render` turns it into HTML, PDF, XLSX, SPSS or CSV.
"""

from clinic.reports.builder import Report, build_report, compute_report
from clinic.reports.filters import ReportFilters, filters_from_mapping

__all__ = ["Report", "ReportFilters", "build_report", "compute_report", "filters_from_mapping"]
