"""Render a :class:`~clinic.reports.builder.Report`: the CLI and the web use this one call."""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clinic.reports.builder import Report

FORMATS = ("pdf", "html", "xlsx", "sav", "csv")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "csv": "application/zip",
}


def _sav(report: Report) -> list[tuple[str, bytes]]:
    from clinic.reports.render.data_files import sav_bytes, spss_dictionary
    from clinic.reports.safe_cells import NOTE, neutralise_frame, with_note

    dictionary = neutralise_frame(with_note(spss_dictionary(report.dataset), NOTE)).to_csv(
        index=False, lineterminator="\n")
    return [("analysis.sav", sav_bytes(report)),
            ("data_dictionary.csv", dictionary.encode("utf-8"))]


def _one(fmt: str, report: Report) -> list[tuple[str, bytes]]:
    """Import only the renderer asked for (each pulls in its own library)."""
    if fmt == "pdf":
        from clinic.reports.render.pdf import pdf_bytes as make
    elif fmt == "html":
        from clinic.reports.render.html import html_bytes as make
    else:
        from clinic.reports.render.xlsx import xlsx_bytes as make
    return [(f"report.{fmt}", make(report))]


def render(report: Report, fmt: str) -> list[tuple[str, bytes]]:
    """(file name, content) pairs: one file, or several for csv (and sav + dictionary)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "csv":
        from clinic.reports.render.data_files import csv_files

        return csv_files(report)
    return _sav(report) if fmt == "sav" else _one(fmt, report)


def download(report: Report, fmt: str) -> tuple[str, bytes, str]:
    """One downloadable file: several files are zipped (fixed timestamps: reproducible)."""
    files = render(report, fmt)
    stem = download_stem(report)
    if len(files) == 1:
        name, content = files[0]
        return f"{stem}.{name.rsplit('.', 1)[1]}", content, MEDIA_TYPES[fmt]
    return f"{stem}_{fmt}.zip", zipped(files), "application/zip"


def download_stem(report: Report) -> str:
    """The file's name before its extension: the study, the data cut-off and the start of
    the data version ("demo_report_2026-12-08_68158f30"), so that the reports of other
    filters, days or data, downloaded side by side, do not take each other's name (the
    version is printed at the foot of each page)."""
    return (f"{report.study.code.lower()}_report_{report.filters.as_of.isoformat()}_"
            f"{report.stamp.data_version[:8]}")


def zipped(files: list[tuple[str, bytes]]) -> bytes:
    """The files as one zip archive (fixed timestamps: the same report, the same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), content)
    return buffer.getvalue()
