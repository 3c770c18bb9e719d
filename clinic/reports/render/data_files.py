"""The analysis data set as CSV (long, wide, dictionary) and SPSS .sav with labels."""

from __future__ import annotations

import os
import tempfile

import pandas as pd
import pyreadstat

from clinic.reports.builder import Report
from clinic.reports.dataset import AnalysisDataset, Variable
from clinic.reports.safe_cells import NOTE, neutralise_frame, with_note

SPSS_LABEL_MAX = 120


def _csv(frame: pd.DataFrame) -> bytes:
    return neutralise_frame(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")


def stamp_text(report: Report, with_time: bool = False) -> str:
    """Study, filters and data version (no time, so the CSV bundle is byte-identical)."""
    lines = [f"study: {report.study.code}", f"title: {report.study.title}",
             f"data_version: sha256:{report.stamp.data_version}",
             f"patients: {report.stamp.patients}"]
    lines += [f"filter {what.lower()}: {value}" for what, value in report.filters.describe()]
    lines += [f"data so far: {line}" for line in report.missing]
    if with_time:
        lines.append(f"generated_at: {report.stamp.generated_at.isoformat(timespec='seconds')}")
    if report.study.is_synthetic:
        lines.append("SYNTHETIC DATA: not real patients.")
    return "\n".join(lines) + "\n"


def csv_files(report: Report) -> list[tuple[str, bytes]]:
    ds = report.dataset
    return [("analysis_long.csv", _csv(ds.long)), ("analysis_wide.csv", _csv(ds.wide)),
            ("data_dictionary.csv", _csv(with_note(ds.dictionary(), NOTE))),
            ("report_tables.csv", report.tables_csv().encode("utf-8")),
            ("report_stamp.txt", stamp_text(report).encode("utf-8"))]


def value_codes(v: Variable) -> dict[str, int]:
    """Stored code → SPSS numeric code (digit codes keep their number, others 1..k)."""
    if all(code.isdigit() for code in v.values):
        return {code: int(code) for code in v.values}
    return {code: i for i, code in enumerate(v.values, start=1)}


def spss_frame(ds: AnalysisDataset) -> tuple[pd.DataFrame, dict[str, dict[float, str]]]:
    """The wide data set with categorical codes as numbers, and the value labels."""
    out = pd.DataFrame(index=ds.wide.index)
    labels: dict[str, dict[float, str]] = {}
    for v in ds.variables:
        column = ds.wide[v.name]
        if v.values:
            codes = value_codes(v)
            if pd.api.types.is_numeric_dtype(column):
                out[v.name] = column.astype(float)
            else:
                out[v.name] = column.map(lambda x, c=codes: c.get(str(x))).astype(float)
            labels[v.name] = {float(codes[k]): text for k, text in v.values.items()}
        elif pd.api.types.is_numeric_dtype(column):
            out[v.name] = column.astype(float)
        else:
            out[v.name] = column.astype(object).where(column.notna(), "").astype(str)
    return out, labels


def spss_dictionary(ds: AnalysisDataset) -> pd.DataFrame:
    """The data dictionary as the SAV file codes its values: "1=Group A: ... (A)", the
    number the SAV holds, its label, and the code the CSV files hold (it listed the
    CSV's codes only, which the SAV does not hold)."""
    frame = ds.dictionary()
    frame["values"] = ["; ".join(
        f"{number}={v.values[code]}" + (f" ({code})" if str(number) != code else "")
        for code, number in value_codes(v).items()) for v in ds.variables]
    return frame


SAV_LINE = 80  # an SPSS document line holds 80 bytes


def sav_note_lines(text: str) -> list[str]:
    """The provenance text as SPSS document lines, wrapped, never cut: a 64-digit data
    hash goes on a line of its own rather than losing its end."""
    import textwrap

    lines: list[str] = []
    for line in text.splitlines():
        if len(line.encode("utf-8")) <= SAV_LINE:
            lines.append(line)
            continue
        head, sep, tail = line.partition(": ")
        if sep and len(tail) <= SAV_LINE and len(head) + 1 <= SAV_LINE:
            lines += [head + ":", tail]
        else:
            lines += textwrap.wrap(line, SAV_LINE // 2, break_long_words=True)
    return lines


def sav_bytes(report: Report) -> bytes:
    ds = report.dataset
    frame, labels = spss_frame(ds)
    column_labels = {v.name: (f"{v.label} ({v.unit})" if v.unit else v.label)[:SPSS_LABEL_MAX]
                     for v in ds.variables}
    measure = {v.name: "nominal" if v.values else
               ("scale" if pd.api.types.is_numeric_dtype(frame[v.name]) else "nominal")
               for v in ds.variables}
    handle, path = tempfile.mkstemp(suffix=".sav")
    os.close(handle)
    try:
        pyreadstat.write_sav(frame, path, file_label=f"{report.study.code} analysis data set",
                             column_labels=column_labels, variable_value_labels=labels,
                             variable_measure=measure,
                             note=sav_note_lines(stamp_text(report)))
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)
