"""Reports hold from the first day: a study with no patient, patients without a
procedure, procedures without follow-ups, one patient per group, timepoints nobody
reached: a complete report in every format that says what is missing."""

from __future__ import annotations

import dataclasses

import pytest

from clinic.demo.protocol import DEMO_STUDY
from clinic.followup.service import record_follow_up
from clinic.reports.render import FORMATS, download, render
from tests.factories import assessments_of, make_patient, make_procedure, make_site, make_study
from tests.reports.helpers import report_of
from tests.web.helpers import login

STAGES = ("no patient", "patients without a procedure", "procedures without follow-up",
          "one patient per group")


def _stage(session, stage: str):
    study = make_study(session, dataclasses.replace(DEMO_STUDY, code="NEW"))
    site = make_site(session)
    if stage != "no patient":
        first, _ = make_patient(session, study, site=site, punctures=1)
        second, _ = make_patient(session, study, site=site, punctures=1)
        if stage != "patients without a procedure":
            make_procedure(session, first)
            make_procedure(session, second, modality="ct")
        if stage == "one patient per group":
            for patient in (first, second):
                baseline = assessments_of(session, patient)[0]
                record_follow_up(session, assessment=baseline, mode="phone", actor_id=None,
                                 entries={"vas": 6, "odi": [2] * 10},
                                 visit_on=baseline.target_date)  # (before AS_OF)
    session.commit()
    return study


EXPECTED_NOTE = {
    "no patient": "no patient is included yet",
    "patients without a procedure": "2 of 2 patients have no procedure recorded",
    "procedures without follow-up": "no follow-up score is recorded yet",
    "one patient per group": "nothing is recorded yet at: 1 day, 1 week, 1 month, 3 months",
}


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_and_says_what_is_missing(session, stage, fmt):
    _stage(session, stage)
    report = report_of(session, "NEW")
    assert any(EXPECTED_NOTE[stage] in paragraph for paragraph in report.methods)
    files = dict(render(report, fmt))
    assert files and all(content for content in files.values())
    if fmt == "html":
        assert EXPECTED_NOTE[stage] in files["report.html"].decode()
    if fmt == "csv":
        assert EXPECTED_NOTE[stage] in files["report_stamp.txt"].decode()
    if fmt == "pdf":
        assert files["report.pdf"].startswith(b"%PDF-")


def test_the_web_download_of_an_empty_study_works(app, clinic, client, db):
    _stage(db, "no patient")
    login(client, clinic.users["physician"])
    for fmt in FORMATS:
        response = client.get(f"/studies/NEW/report.{fmt}")
        assert response.status_code == 200, fmt
    page = client.get("/studies/NEW/report")
    assert page.status_code == 200 and "no patient is included yet" in page.get_data(
        as_text=True)


def test_the_sav_notes_keep_the_whole_data_hash(session):
    import os
    import tempfile

    import pyreadstat

    _stage(session, "one patient per group")
    report = report_of(session, "NEW")
    name, content, _ = download(report, "sav")
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "a.zip"), "wb") as f:
            f.write(content)
        import zipfile

        with zipfile.ZipFile(os.path.join(folder, "a.zip")) as bundle:
            bundle.extract("analysis.sav", folder)
        _frame, meta = pyreadstat.read_sav(os.path.join(folder, "analysis.sav"))
    notes = "\n".join(meta.notes) if isinstance(meta.notes, list) else str(meta.notes)
    assert report.stamp.data_version in notes


@pytest.mark.parametrize("stage", STAGES)
def test_the_appendix_has_no_heading_without_rows(session, stage):
    """Found trying the screens as a new user would: the appendix printed its headings
    ("Pain (VAS): between timepoints (after Friedman)") with no comparison under them
    while nobody had a value at two timepoints; with no comparison at all it is left
    out."""
    _stage(session, stage)
    report = report_of(session, "NEW")
    assert "appendix" not in [t.key for t in report.tables]


def test_an_arm_with_nothing_recorded_is_said_so_not_friedman_over_0_timepoints(session):
    """Found trying the screens as a new user would: a new study's report read "Friedman
    over the 0 timepoint(s) with values"."""
    _stage(session, "procedures without follow-up")
    notes = [n for n in report_of(session, "NEW").table("table3").notes]
    assert not any("0 timepoint" in n or "1 timepoint(s)" in n for n in notes), notes
    assert any("nothing recorded yet: no Friedman test" in n for n in notes), notes
