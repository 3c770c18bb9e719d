"""The study-wide audit trail: who changed what, when and why, placed with the patient's
study code, in words and local time; filtered; out as CSV, XLSX and JSON lines."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from clinic.audit import set_actor
from clinic.db import get_engine
from clinic.demo.protocol import DEMO_STUDY
from clinic.followup.editing import edit_follow_up
from clinic.followup.service import record_follow_up
from clinic.models import Assessment, PatientIdentity
from tests.factories import make_patient, make_procedure, make_study
from tests.web.helpers import login, today_in

REASON = "=typing error on the paper form"  # formula-like: must never run in a spreadsheet


@pytest.fixture
def recorded(app, clinic):
    """The due visit recorded by the nurse, then corrected (VAS changed, ODI removed)."""
    with Session(get_engine(app), expire_on_commit=False) as session:
        nurse = clinic.users["nurse"]
        due = session.get(Assessment, clinic.due.id)
        set_actor(session, nurse.id, None)
        record_follow_up(session, assessment=due, entries={"vas": 4, "odi": [2] * 10},
                         mode="phone", actor_id=nurse.id)
        session.commit()
        edit_follow_up(session, assessment=due, read_version=due.version,
                       entries={"vas": 6}, mode="phone", reason=REASON, actor_id=nurse.id,
                       missing_reason="Patient declined the ODI")
        session.commit()
    return clinic


def _csv(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.data[:300]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_correction_reads_with_names_local_time_and_the_patients_code(app, client,
                                                                        recorded):
    login(client, recorded.users["coordinator"])
    code = recorded.patient.study_code
    rows = _csv(client, f"/studies/{recorded.study.code}/audit.csv?reason=typing")
    vas = [r for r in rows if r["field"] == "score" and r["action"] == "changed"]
    assert len(vas) == 1
    row = vas[0]
    assert (row["user"], row["patient"], row["old value"], row["new value"]) == (
        "Test nurse", code, "4", "6")
    assert row["reason"] == "'" + REASON  # neutralised for spreadsheets
    zone = "CET" if today_in(app).month in (1, 2, 3, 11, 12) else "CEST"
    assert row["time"].endswith(zone) and row["sequence"] == ""  # not sealed yet


def test_child_rows_and_deleted_rows_are_placed_with_their_patient(client, recorded):
    """The ODI score was removed by the correction; its ten sections went with it (the
    database's cascade). Their events still name the patient, found from the snapshots."""
    login(client, recorded.users["coordinator"])
    rows = _csv(client, f"/studies/{recorded.study.code}/audit.csv"
                        f"?patient={recorded.patient.study_code.lower()}")
    sections = [r for r in rows if r["record"].startswith("questionnaire section")]
    assert len(sections) == 10
    deleted = [r for r in rows if r["action"] == "deleted"]
    assert [r["record"].split()[0] for r in deleted] == ["score"]
    assert "instrument: Oswestry Disability Index" in deleted[0]["old value"]
    assert {r["patient"] for r in rows} == {recorded.patient.study_code}


def test_rows_and_ids_read_as_names_a_monitor_knows(client, recorded):
    """Found testing as a new user would: 'arm id: 1', 'timepoint id: 3', 'visit 142',
    'score 725' told a monitor nothing without the database."""
    login(client, recorded.users["coordinator"])
    rows = _csv(client, f"/studies/{recorded.study.code}/audit.csv"
                        f"?patient={recorded.patient.study_code}")
    enrolment = next(r for r in rows if r["record"].startswith("enrollment"))
    arm = next(a for a in DEMO_STUDY.arms if f"arm: {a.code};" in enrolment["new value"])
    assert arm and "arm id" not in enrolment["new value"]
    assert f"study: {recorded.study.code}" in enrolment["new value"]
    visits = {r["record"] for r in rows if r["record"].startswith("visit ")}
    assert "visit 1 month" in visits and not any(v.split()[-1].isdigit() for v in visits)
    vas = next(r for r in rows if r["field"] == "score" and r["action"] == "changed")
    assert vas["record"] == "score Pain (VAS), 1 month"
    assert f"patient: {recorded.patient.study_code};" in enrolment["new value"]
    assert enrolment["record"] == f"enrollment {recorded.patient.study_code}"
    assert f"patient {recorded.patient.study_code}" in {r["record"] for r in rows}
    procedures = [r for r in rows if r["record"].startswith("procedure ")]
    assert procedures and all(re.fullmatch(r"procedure \d{4}-\d\d-\d\d \d\d:\d\d CES?T",
                                           r["record"]) for r in procedures), procedures[:1]
    screenings = [r for r in rows if r["record"].startswith("screening")]
    assert len(screenings) > 1, "the screening and its answers are in the trail"
    for row in screenings:  # named by site and time, as the screening log shows them
        assert not row["record"].split()[-1].isdigit(), row["record"]
        assert re.search(r"^screening [A-Z]+ \d{4}-\d\d-\d\d|^screening answer '[^']+'$",
                         row["record"]), row["record"]
        if "screening: " in row["new value"]:
            assert re.search(r"screening: [A-Z]+ \d{4}-\d\d-\d\d", row["new value"])
    asked = {f"screening answer '{c.text}'" for c in DEMO_STUDY.criteria if len(c.text) < 60}
    assert asked & {r["record"] for r in screenings}, "an answer reads by its question"
    targets = [r["new value"] for r in rows if r["record"].startswith("target ")]
    assert targets and all("procedure: 20" in t for t in targets)  # not "procedure: 17"
    sections = {r["record"] for r in rows if r["record"].startswith("questionnaire")}
    assert sections == {f"questionnaire section {n}" for n in range(1, 11)}
    made = [r["new value"] for r in rows if r["record"].startswith(("questionnaire", "score"))
            and r["action"] == "created"]
    assert any(v.startswith("score: Oswestry Disability Index, 1 month;") for v in made)
    assert any(v.startswith("visit: 1 month;") for v in made)  # not "assessment: 142"


def test_filters_narrow_the_trail(app, client, recorded):
    login(client, recorded.users["coordinator"])
    base = f"/studies/{recorded.study.code}/audit.csv"
    everything = _csv(client, base)
    nurse = recorded.users["nurse"]
    by_nurse = _csv(client, f"{base}?user={nurse.id}")
    assert by_nurse and all(r["user"] == "Test nurse" for r in by_nurse)
    assert len(by_nurse) < len(everything)
    scores = _csv(client, f"{base}?entity=score")
    assert {r["record"].split()[0] for r in scores} == {"score", "questionnaire"}
    tomorrow = today_in(app) + timedelta(days=1)
    assert _csv(client, f"{base}?from={tomorrow}") == []
    assert len(_csv(client, f"{base}?to={tomorrow}")) == len(everything)
    other = _csv(client, f"{base}?patient={recorded.other.study_code}")
    assert other and {r["patient"] for r in other} == {recorded.other.study_code}
    assert _csv(client, f"{base}?patient=NOBODY") == []


def test_another_studys_events_and_identity_values_stay_out(app, client, recorded):
    with Session(get_engine(app), expire_on_commit=False) as session:
        second = make_study(session, replace(DEMO_STUDY, code="SECOND"))
        stranger, _ = make_patient(session, second)
        make_procedure(session, stranger)
        names = [i.name for i in session.exec(select(PatientIdentity)).all()]
        session.commit()
    login(client, recorded.users["coordinator"])
    rows = _csv(client, f"/studies/{recorded.study.code}/audit.csv")
    assert stranger.study_code not in {r["patient"] for r in rows}
    text = json.dumps(rows)
    assert names and not any(name in text for name in names if name)


def test_xlsx_and_json_lines_hold_the_same_events(client, recorded):
    login(client, recorded.users["coordinator"])
    base = f"/studies/{recorded.study.code}/audit"
    rows = _csv(client, f"{base}.csv")
    book = load_workbook(io.BytesIO(client.get(f"{base}.xlsx").data))
    sheet = book["Audit trail"]
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[1][0] == "event" and len(cells) - 2 == len(rows)
    reason_cell = next(c for c in sheet.iter_rows(min_row=3) if c[10].value == REASON)[10]
    assert reason_cell.data_type == "s" and reason_cell.quotePrefix
    lines = client.get(f"{base}.json").get_data(as_text=True).splitlines()
    assert [json.loads(line)["event_id"] for line in lines] == [int(r["event"]) for r in rows]


def test_the_screen_pages_back_through_older_events(client, recorded, monkeypatch):
    from clinic.web import audit_trail

    monkeypatch.setattr(audit_trail, "PAGE", 5)
    login(client, recorded.users["coordinator"])
    page = client.get(f"/studies/{recorded.study.code}/audit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Older events" in html
    older = html.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "before=" in older and client.get(older).status_code == 200


@pytest.mark.parametrize("query, message", [("from=2026-13-01", "Not a date"),
                                            ("to=0001-01-01", "Enter a date from"),
                                            ("entity=app_user", "Choose a kind of record"),
                                            ("user=abc", "Choose a user from the list"),
                                            ("from=2026-06-02&to=2026-06-01",
                                             "no day is in between")])
def test_bad_filters_get_a_clear_answer(client, recorded, query, message):
    login(client, recorded.users["coordinator"])
    page = client.get(f"/studies/{recorded.study.code}/audit?{query}")
    assert page.status_code == 422 and message in page.get_data(as_text=True)
    download = client.get(f"/studies/{recorded.study.code}/audit.csv?{query}")
    assert download.status_code == 422 and message in download.get_data(as_text=True)


def test_only_coordinators_and_admins_see_it(client, recorded):
    login(client, recorded.users["nurse"])
    assert client.get(f"/studies/{recorded.study.code}/audit").status_code == 403
    client.get("/logout")
    login(client, recorded.users["admin"])
    assert client.get(f"/studies/{recorded.study.code}/audit.docx").status_code == 404
    assert client.get("/studies/NOPE/audit").status_code == 404


def test_the_cli_writes_each_format_and_refuses_bad_options(app, recorded, tmp_path):
    runner = app.test_cli_runner()
    code = recorded.study.code
    for fmt in ("csv", "xlsx", "json"):
        out = tmp_path / f"trail.{fmt}"
        result = runner.invoke(args=["audit", "export", "--study", code, "--format", fmt,
                                     "--out", str(out), "--patient",
                                     recorded.patient.study_code])
        assert result.exit_code == 0, result.output
        assert f"events of {code} written" in result.output and out.stat().st_size > 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "trail.csv").read_text("utf-8"))))
    assert {r["patient"] for r in rows} == {recorded.patient.study_code}
    for options, message in ((["--from", "2026-02-30"], "Not a date"),
                             (["--entity", "app_user"], "one of adverse_event"),
                             (["--user", "nobody@x.invalid"], "no user"),
                             (["--study", "NOPE"], "No study with code"),
                             (["--patient", "NOPE-9999"], "no patient 'NOPE-9999'"),
                             (["--from", "2026-12-01", "--to", "2026-01-01"],
                              "--to (2026-01-01) is before --from (2026-12-01)")):
        args = ["audit", "export", "--study", code, "--out", str(tmp_path / "x.csv"), *options]
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and message in result.output, (options, result.output)
    missing = tmp_path / "no-such-folder" / "x.csv"  # was a FileNotFoundError traceback
    result = runner.invoke(args=["audit", "export", "--study", code, "--out", str(missing)])
    assert result.exit_code == 2 and "there is no folder" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lower = runner.invoke(args=["audit", "export", "--study", code, "--out",
                                str(tmp_path / "y.csv"), "--patient",
                                recorded.patient.study_code.lower()])
    assert lower.exit_code == 0, lower.output
    by_id = runner.invoke(args=["audit", "export", "--study", code, "--out",
                                str(tmp_path / "z.csv"), "--patient", str(recorded.patient.id)])
    assert by_id.exit_code == 0, by_id.output  # the id the API gives names it too
    assert (tmp_path / "z.csv").read_text("utf-8") == (tmp_path / "y.csv").read_text("utf-8")
    # the ending names the format; one that contradicts --format, or names none, is
    # refused (CSV was written as a.xlsx; found trying the command line as a new user would)
    named = runner.invoke(args=["audit", "export", "--study", code, "--out",
                                str(tmp_path / "named.xlsx")])
    assert named.exit_code == 0 and (tmp_path / "named.xlsx").read_bytes()[:2] == b"PK"
    for args, said in ((["--format", "csv", "--out", "a.xlsx"],
                        "name the file a.csv, or give --format xlsx"),
                       (["--out", "a.pdf"], ".pdf is not an ending this command writes")):
        refused = runner.invoke(args=["audit", "export", "--study", code, *args[:-1],
                                      str(tmp_path / args[-1])])
        assert refused.exit_code == 2 and said in refused.output, refused.output
        assert not (tmp_path / args[-1]).exists()


def test_codes_and_lists_read_as_words():
    """Found trying the study audit trail as a new user would: 'planning → recruiting'
    and Python lists ("['baseline', 'month_1']") were shown as stored."""
    from clinic.audit.words import value_words

    assert value_words("status", "planning", {}, "UTC") == "Draft"
    assert value_words("status", "follow_up", {}, "UTC") == "Follow-up only"
    assert value_words("status", "withdrawn", {}, "UTC") == "Withdrawn"
    assert value_words("timepoint_codes", '["baseline", "month_1"]', {}, "UTC") == \
        "baseline, month_1"
    assert value_words("strata", "[]", {}, "UTC") == "none"
    assert value_words("instrument", "ndi", {}, "UTC") == "Neck Disability Index"
    assert value_words("text", "[see note]", {}, "UTC") == "[see note]", "not JSON: as stored"
