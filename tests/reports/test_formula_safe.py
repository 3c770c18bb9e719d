"""Exports that physicians open in a spreadsheet never run a formula (OWASP CSV
injection): text starting with =, +, -, @, a tab or CR stays text."""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile

from openpyxl import load_workbook

from clinic.demo.protocol import DEMO_STUDY
from clinic.followup.service import record_follow_up
from clinic.reports.render import download, render
from clinic.reports.safe_cells import neutralise
from tests.factories import (
    assessments_of,
    make_patient,
    make_procedure,
    make_site,
    make_study,
)
from tests.reports.helpers import report_of

EVIL = '=HYPERLINK("http://x.invalid","y")'


def _evil_study(session):
    study = make_study(session, dataclasses.replace(DEMO_STUDY, code="EVIL",
                                                    title="@SUM(1+1) study"))
    site = make_site(session)
    for i in range(2):
        patient, _ = make_patient(session, study, site=site, diagnosis="+cmd|' /C calc'!A0")
        # new codes are letters, digits and - _ . (clinic.enrollment.inputs); one stored
        # before that rule, or written around the app, must still stay text
        patient.study_code = EVIL[:29] + str(i)
        session.add(patient)
        make_procedure(session, patient)
        for assessment in assessments_of(session, patient)[:2]:
            record_follow_up(session, assessment=assessment, entries={"vas": 5 + i},
                             mode="phone", actor_id=None)
    session.commit()
    return study


def test_formula_like_text_is_text_in_the_xlsx(session):
    _evil_study(session)
    workbook = load_workbook(io.BytesIO(render(report_of(session, "EVIL"), "xlsx")[0][1]))
    formulas, texts = [], []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.append((sheet.title, cell.coordinate, cell.value))
                if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "@")):
                    texts.append(cell)
    assert formulas == []
    assert any(c.value.startswith("=HYPERLINK") for c in texts)
    assert all(c.quotePrefix for c in texts)


def test_formula_like_text_is_quoted_in_every_csv(session):
    _evil_study(session)
    _name, content, _media = download(report_of(session, "EVIL"), "csv")
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        for name in bundle.namelist():
            if not name.endswith(".csv"):
                continue
            rows = list(csv.reader(io.StringIO(bundle.read(name).decode("utf-8"))))
            for row in rows:
                for value in row:
                    assert not value.startswith(("=", "+", "@", "\t", "\r")), (name, value)
            if name == "analysis_wide.csv":
                assert any(value.startswith("'=HYPERLINK") for row in rows for value in row)
            if name == "data_dictionary.csv":
                assert "OWASP" in bundle.read(name).decode("utf-8")


def test_numbers_stay_numbers():
    assert neutralise(-5) == -5 and neutralise(-0.5) == -0.5
    assert neutralise("-5") == "'-5" and neutralise("T-0001") == "T-0001"
