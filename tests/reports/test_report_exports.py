"""PDF, HTML and XLSX print the same numbers, and they equal the statistics engine's
results on the exported SPSS file read back."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser

import pandas as pd
import pyreadstat
from openpyxl import load_workbook

from clinic.reports.render import download, render
from clinic.reports.render.xlsx import SHEET_NAMES, _header
from clinic.stats import compare_groups, friedman
from clinic.stats.format import fmt_number, format_mean_sd, format_median_iqr, format_p
from tests.reports.helpers import report_of

IDENTITY_MARKERS = (b"Synthetic Patient", b"example.invalid", b"SYN0", b"+00 0000")


def _seed(app, patients: int = 40) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo", "--patients", str(patients),
                                                "--seed", "2"])
    assert result.exit_code == 0, result.output


class _Cells(HTMLParser):
    """Text of each report table's cells, leaving out the n and the test mark."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.skip = 0
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("class") == "rt":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag == "td" and self.tables:
            self.cell = []
        elif tag == "sup" or (tag == "span" and attrs.get("class") == "n"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("sup", "span") and self.skip:
            self.skip -= 1
        elif tag == "td" and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None and not self.skip:
            self.cell.append(data)


def _check_html(report) -> None:
    parser = _Cells()
    parser.feed(render(report, "html")[0][1].decode())
    for table, parsed in zip(report.tables, parser.tables, strict=True):
        body = [r for r in parsed if r]
        for row, cells in zip(table.rows, body, strict=True):
            assert cells[0] == row.label
            if len(cells) > 1:
                assert cells[1:] == [c.text for c in row.cells], (table.key, row.label)


def _check_xlsx(report) -> None:
    book = load_workbook(io.BytesIO(render(report, "xlsx")[0][1]))
    for table in report.tables:
        sheet = list(book[SHEET_NAMES[table.key]].iter_rows(values_only=True))
        _, parts = _header(table)
        for row, values in zip(table.rows, sheet[2:], strict=False):
            assert values[0].strip() == row.label
            texts = [values[1 + j] for j, (_, part) in enumerate(parts) if part == "text"]
            assert [t or "" for t in texts] == [c.text for c in row.cells], row.label


def _check_pdf(report) -> None:
    if shutil.which("pdftotext") is None:
        return
    text = subprocess.run(["pdftotext", "-", "-"], input=render(report, "pdf")[0][1],
                          capture_output=True, check=True).stdout.decode()
    flat = "".join(text.split())  # pdftotext drops some spaces in narrow cells
    for table in report.tables:
        for row in table.rows:
            for cell in row.cells:
                assert "".join(cell.text.split()) in flat, (table.key, row.label, cell.text)


def _table3_block(report, heading: str) -> list:
    rows = report.table("table3").rows
    start = next(i for i, r in enumerate(rows) if r.label == heading)
    end = next((i for i, r in enumerate(rows) if i > start and r.level == 0), len(rows))
    return rows[start + 1:end]


def _check_sav(report, tmp_path) -> None:
    files = dict(render(report, "sav"))
    path = tmp_path / "analysis.sav"
    path.write_bytes(files["analysis.sav"])
    df, meta = pyreadstat.read_sav(str(path))
    arms = {label: code for code, label in meta.variable_value_labels["arm"].items()}
    labels = [c.label for c in report.table("table3").columns[:-1]]
    groups = {label: df[df["arm"] == arms[label]] for label in labels}
    age = compare_groups({a: g["age"].dropna().to_numpy() for a, g in groups.items()})
    mean_row = next(r for r in report.table("table1").rows if r.label == "Mean ± SD")
    assert [c.text for c in mean_row.cells] == [
        *(format_mean_sd(age.descriptives[a].mean, age.descriptives[a].sd) for a in labels),
        format_p(age.p)]
    tps = {t.label: t.code for t in report.study.timepoints}
    for code, heading in (("vas", "Pain (VAS), 0–10"), ("odi", "Oswestry Disability Index, %")):
        block = _table3_block(report, heading)
        for row in block:
            if row.label not in tps:
                continue
            column = f"{code}_{tps[row.label]}"
            comp = compare_groups({a: g[column].dropna().to_numpy() for a, g in groups.items()})
            d = comp.descriptives
            expected = [format_median_iqr(d[a].median, d[a].q1, d[a].q3) for a in labels]
            assert [c.text for c in row.cells[:-1]] == expected, (code, row.label)
            assert row.cells[-1].text == format_p(comp.p), (code, row.label)
        fr_row = next(r for r in block if r.label.startswith("Fr"))
        for cell, label in zip(fr_row.cells, labels, strict=False):
            present = [c for c in report.study.timepoints_of(code)
                       if groups[label][f"{code}_{c}"].notna().any()]
            long = groups[label].melt(id_vars=["subject"], value_vars=[f"{code}_{c}" for c in
                                                                      present]).dropna()
            result = friedman(long, subject="subject", timepoint="variable", value="value",
                              order=[f"{code}_{c}" for c in present])
            assert cell.text == fmt_number(result.statistic, 3)


def test_formats_print_the_same_numbers_as_the_engine_on_the_sav_read_back(app, session,
                                                                           tmp_path):
    _seed(app)
    report = report_of(session, "DEMO")
    assert report.stamp.patients == 40
    _check_html(report)
    _check_xlsx(report)
    _check_pdf(report)
    _check_sav(report, tmp_path)


def test_exports_are_de_identified_and_csv_is_reproducible(app, session):
    _seed(app, 20)
    report = report_of(session, "DEMO")
    for fmt in ("html", "csv", "sav", "xlsx"):
        _, content, _ = download(report, fmt)
        blobs = [content]
        if content[:2] == b"PK":  # xlsx and zip: look inside
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                blobs = [archive.read(name) for name in archive.namelist()]
        for blob in blobs:
            assert not any(marker in blob for marker in IDENTITY_MARKERS), fmt
    wide = pd.read_csv(io.BytesIO(dict(render(report, "csv"))["analysis_wide.csv"]))
    assert wide["subject"].str.startswith("DEMO-").all()
    assert download(report, "csv")[1] == download(report_of(session, "DEMO"), "csv")[1]


def test_the_sav_s_dictionary_gives_the_codes_the_sav_holds(app, session, tmp_path):
    """Found trying the screens as a new user would: the SAV download's data dictionary
    listed the CSV's codes (A=..., female=...) while the SAV holds 1, 2, 3."""
    _seed(app, 20)
    files = dict(render(report_of(session, "DEMO"), "sav"))
    (tmp_path / "a.sav").write_bytes(files["analysis.sav"])
    _frame, meta = pyreadstat.read_sav(str(tmp_path / "a.sav"))
    dictionary = pd.read_csv(io.BytesIO(files["data_dictionary.csv"]), dtype=str,
                             keep_default_na=False)
    checked = 0
    for row in dictionary.itertuples():
        labels = meta.variable_value_labels.get(row.variable)
        if not labels:
            continue
        listed = {float(pair.split("=", 1)[0]): pair.split("=", 1)[1]
                  for pair in row.values.split("; ")}
        assert listed.keys() == labels.keys(), row.variable  # the SAV's numbers
        assert all(text.startswith(labels[n]) for n, text in listed.items()), row.variable
        checked += 1
    assert checked >= 3  # arm, site, sex at least


def test_the_effective_dose_prints_without_float_noise(app, session):
    """Found trying the screens as a new user would: the data set's effective dose read
    0.11549999999999999 mSv (DAP x its coefficient), where 0.1155 was meant."""
    _seed(app, 20)
    text = dict(render(report_of(session, "DEMO"), "csv"))["analysis_wide.csv"].decode()
    doses = pd.read_csv(io.StringIO(text), dtype=str)["effective_dose_msv"].dropna()
    assert len(doses) > 0
    assert all(len(dose.partition(".")[2]) <= 6 for dose in doses), list(doses)


def test_the_data_set_is_built_only_for_the_files_that_hold_it(app, monkeypatch):
    """A PDF or the web page does not build the analysis data set (1.2 s at 200,000
    patients); the CSV, XLSX and SPSS files build it once, and it is the same data set."""
    from sqlmodel import Session

    import clinic.reports.builder as builder
    from clinic.db import get_engine

    _seed(app)
    built: list[int] = []
    real = builder.build_dataset
    monkeypatch.setattr(builder, "build_dataset", lambda data: built.append(1) or real(data))
    with app.app_context(), Session(get_engine(app)) as session:
        report = report_of(session, "DEMO")
    render(report, "pdf")
    render(report, "html")
    assert built == []
    csv_files = dict(render(report, "csv"))
    render(report, "xlsx")
    assert built == [1]
    assert report.dataset is report.dataset
    assert len(report.dataset.wide) == 40 and any("wide" in name for name in csv_files)


def test_reports_of_other_filters_or_days_download_under_other_names(session):
    """Found trying the reports as a new user would: every download was demo_report.pdf,
    whatever the filters or the cut-off, and the second overwrote the first."""
    from clinic.reports.render import download
    from tests.reports.helpers import AS_OF, GAP_STUDY, populate, report_of

    populate(session, GAP_STUDY, 6)
    everyone, north = report_of(session, "GAP"), report_of(session, "GAP", sites=("NORTH",))
    name, _content, _type = download(everyone, "pdf")
    assert name == f"gap_report_{AS_OF.isoformat()}_{everyone.stamp.data_version[:8]}.pdf"
    assert download(north, "pdf")[0] != name
    assert download(report_of(session, "GAP"), "pdf")[0] == name  # the same report: the same
