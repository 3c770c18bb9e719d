"""A registry's report: groups by index modality, not randomized; baseline SMDs; the
propensity-score matched comparison with its balance table and Love plot; the NRS
weighted value and response categories; in every format."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from clinic.followup.service import record_follow_up
from clinic.protocol.protocol_file import read_toml
from clinic.reports.render import FORMATS, download, render
from clinic.studies.protocols import create_from_document
from tests.factories import assessments_of, make_patient, make_procedure, make_site
from tests.reports.helpers import report_of

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocols" / \
    "us-mri-fusion-registry.toml"


def _registry(session, patients: int = 60, seed: int = 5):
    rng = np.random.default_rng(seed)
    study = create_from_document(session, read_toml(PROTOCOL.read_text()), draft=False)
    site = make_site(session)
    for i in range(patients):
        fusion = rng.random() < 0.4
        patient, _ = make_patient(session, study, site=site,
                                  age_at_enrollment=int(rng.integers(25, 75)),
                                  bmi=float(np.round(rng.normal(27, 3.5), 1)),
                                  symptom_duration_months=float(np.round(rng.gamma(2, 6), 1)),
                                  sex="female" if rng.random() < 0.55 else "male")
        when = datetime(2026, 1, 15, 9, 0, tzinfo=UTC) + timedelta(days=int(i // 3))
        make_procedure(session, patient, when=when,
                       modality="us_mri_fusion" if fusion else "ultrasound",
                       dap_mgy_cm2=None, fluoroscopy_time_s=None)
        visits = {v.timepoint_id: v for v in assessments_of(session, patient)}
        before = float(rng.integers(6, 10))
        for visit in visits.values():
            from clinic.models import StudyTimepoint

            code = session.get(StudyTimepoint, visit.timepoint_id).code
            value = before if code == "baseline" else float(np.clip(
                before - rng.integers(2, 6) - (1 if fusion and code == "hour_1" else 0), 0, 10))
            entries = {"nrs": value}
            if code in ("baseline", "week_1", "month_1"):
                entries["gabapentin"] = float(rng.integers(0, 13) * 100)
            record_follow_up(session, assessment=visit, entries=entries, mode="in_clinic",
                             actor_id=None, visit_on=visit.target_date)  # (before AS_OF)
    session.commit()
    return study


def test_the_registry_report_shows_the_matched_comparison(session):
    _registry(session)
    report = report_of(session, "USMRI")
    keys = [t.key for t in report.tables]
    assert keys[:3] == ["flow", "table1", "table1b"]
    assert {"matching", "matched_outcomes", "response_nrs"} <= set(keys)
    flow = report.table("flow")
    assert flow.rows[3].label.startswith("Registration")
    balance = report.table("matching")
    assert [r.label for r in balance.rows] == ["Age", "Sex (female)", "BMI",
                                               "Symptom duration (months)",
                                               "Baseline Pain (NRS)"]
    assert any("matched pairs" in n for n in balance.notes)
    assert report.balance and len(report.balance) == 5
    # found trying the report as a new user would: symptom duration read as a row of BMI,
    # Table 1 spoke of levels it does not show, Table 2 of IQR and SD it does not use
    table1 = report.table("table1")
    duration = next(r for r in table1.rows if r.label.startswith("Symptom duration"))
    assert duration.level == 0 and duration.label.endswith("median (IQR)")
    assert not any("Levels" in n for n in table1.notes)
    assert "IQR" not in " ".join(report.table("table2").footnotes)
    assert any("not randomized" in m for m in report.methods)
    smd = report.table("table1b").rows[0].cells[-1].text
    assert smd not in ("", "—")
    response = report.table("response_nrs")
    assert any("1 hour: response" in r.label for r in response.rows)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_carries_the_registry_tables(session, fmt):
    _registry(session, patients=40)
    files = dict(render(report_of(session, "USMRI"), fmt))
    if fmt == "pdf":
        assert files["report.pdf"].startswith(b"%PDF-")
    elif fmt == "html":
        page = files["report.html"].decode()
        assert 'id="love-plot"' in page and "Table 7. Propensity-score matching" in page
    elif fmt == "xlsx":
        book = load_workbook(io.BytesIO(files["report.xlsx"]))
        assert "matching" in book.sheetnames and "matched_outcomes" in book.sheetnames
    elif fmt == "csv":
        assert b"Table 7. Propensity-score matching" in files["report_tables.csv"] or \
            b"matching," in files["report_tables.csv"]
    else:
        assert files["analysis.sav"][:4] == b"$FL2"


def test_too_few_patients_say_why_there_is_no_matching(session):
    _registry(session, patients=3)
    report = report_of(session, "USMRI")
    assert "matching" not in [t.key for t in report.tables]
    assert any("matching was not done" in n.lower() for n in report.table("table1b").notes)
    name, content, _ = download(report, "pdf")
    assert content.startswith(b"%PDF-")
