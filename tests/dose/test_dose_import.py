"""Dose reports (RDSR) in: the files round-trip exactly in the app's units, whatever the
vendor's; no irradiation event is counted twice; a split report adds up; another
patient's or a corrupt file is refused clearly; typed values are never overwritten;
a locked procedure refuses; the CLI lists matches for a person to confirm."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from clinic.db import get_engine
from clinic.locks.service import lock_patient
from clinic.models import DoseEvent, Patient, Procedure
from tests.dose.rdsr_files import ct_rdsr, xray_rdsr
from tests.factories import make_procedure
from tests.web.helpers import login

ZONE = ZoneInfo("Europe/Berlin")
# the index procedure: after the enrollment (35 days ago), before the clinic's own (30)
WHEN = datetime.combine(date.today() - timedelta(days=32), time(9, 30), tzinfo=ZONE)
MRN = "MRN-0001"


@pytest.fixture
def empty(app, clinic):
    """A fluoroscopy procedure without dose values, and a CT one, for a patient with MRN."""
    with Session(get_engine(app), expire_on_commit=False) as db:
        patient = db.get(Patient, clinic.patient.id)
        fluoro = make_procedure(db, patient, when=WHEN, dap_mgy_cm2=None,
                                fluoroscopy_time_s=None)
        db.execute(text("UPDATE patient_identity SET mrn = :m WHERE patient_id = :p"),
                   {"m": MRN, "p": patient.id})
        db.commit()
    return clinic, fluoro


def _post(client, headers, procedure_id: int, content: bytes):
    return client.post(f"/api/v1/procedures/{procedure_id}/dose-report", data=content,
                       headers={**headers, "Content-Type": "application/dicom"})


def _procedure(app, procedure_id: int) -> Procedure:
    with Session(get_engine(app), expire_on_commit=False) as db:
        return db.get(Procedure, procedure_id)


@pytest.mark.parametrize("vendor", ["A", "B"])  # Gy·m² and s; dGy·cm² and min
def test_an_xray_report_fills_the_empty_dose_exactly_and_only_once(app, client, empty, bearer,
                                                                 vendor):
    clinic, procedure = empty
    content = xray_rdsr(events=[("1.2.826.1.1", 120.5), ("1.2.826.1.2", 179.4)],
                        fluoro_time_s=42, patient_id=MRN, day=WHEN.date(), vendor=vendor)
    first = _post(client, bearer("physician"), procedure.id, content)
    assert first.status_code == 201, first.json
    assert first.json["new_events"] == 2 and first.json["filled"] == {
        "dap_mgy_cm2": 299.9, "fluoroscopy_time_s": 42}
    again = _post(client, bearer("physician"), procedure.id, content)
    assert again.status_code == 200 and again.json["new_events"] == 0
    assert again.json["known_events"] == 2 and again.json["filled"] == {}
    stored = _procedure(app, procedure.id)
    assert (stored.dap_mgy_cm2, stored.fluoroscopy_time_s) == (299.9, 42.0)
    login(client, clinic.users["physician"])
    page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert "From dose report" in page and "299.9 mGy·cm²" in page


def test_a_split_report_adds_each_new_event_once(app, client, empty, bearer):
    _clinic, procedure = empty
    study = "1.2.826.9.9"
    one = xray_rdsr(events=[("1.2.826.2.1", 100.0), ("1.2.826.2.2", 50.0)], fluoro_time_s=20,
                    patient_id=MRN, day=WHEN.date(), study_uid=study)
    two = xray_rdsr(events=[("1.2.826.2.2", 50.0), ("1.2.826.2.3", 25.0)], fluoro_time_s=10,
                    patient_id=MRN, day=WHEN.date(), study_uid=study)
    assert _post(client, bearer("physician"), procedure.id, one).json["new_events"] == 2
    second = _post(client, bearer("physician"), procedure.id, two)
    assert (second.json["new_events"], second.json["known_events"]) == (1, 1)
    with Session(get_engine(app)) as db:
        assert db.exec(select(func.count(DoseEvent.id)).where(
            DoseEvent.procedure_id == procedure.id)).one() == 3
    stored = _procedure(app, procedure.id)
    assert stored.dap_mgy_cm2 == 175.0  # 100 + 50 + 25: the shared event once
    assert stored.fluoroscopy_time_s == 30.0  # each file's own part of the time


def test_a_ct_report_on_a_ct_procedure(app, client, clinic, bearer):
    with Session(get_engine(app), expire_on_commit=False) as db:
        ct = make_procedure(db, db.get(Patient, clinic.other.id), modality="ct", when=WHEN,
                            dlp_mgy_cm=None, ctdivol_mgy=None)
        db.commit()
    content = ct_rdsr(events=[("1.2.826.3.1", 9.5, 170.0), ("1.2.826.3.2", 10.5, 180.0)],
                      patient_id="", day=WHEN.date())
    response = _post(client, bearer("coordinator"), ct.id, content)
    assert response.status_code == 201
    stored = _procedure(app, ct.id)
    assert (stored.dlp_mgy_cm, stored.ctdivol_mgy) == (350.0, 10.0)


def test_refusals_are_clear_and_store_nothing(app, client, empty, bearer):
    clinic, procedure = empty
    headers = bearer("physician")
    cases = {
        b"not a dicom file at all": "Not a readable DICOM file",
        xray_rdsr(events=[("1.2.826.4.1", 1.0)], fluoro_time_s=1, patient_id="SOMEONE-ELSE",
                  day=WHEN.date()): "another patient",
        xray_rdsr(events=[("1.2.826.4.2", 1.0)], fluoro_time_s=1, patient_id=MRN,
                  day=WHEN.date() + timedelta(days=5)): "is dated",
        ct_rdsr(events=[("1.2.826.4.3", 1.0, 2.0)], patient_id=MRN, day=WHEN.date()):
            "does not fit a fluoroscopy procedure",
        # a made-up file does not learn whether its patient ID is the MRN (found probing
        # as a physician, who sees no identity): its day is named first
        xray_rdsr(events=[("1.2.826.4.4", 1.0)], fluoro_time_s=1, patient_id="GUESS-1",
                  day=WHEN.date() - timedelta(days=400)): "is dated",
        b"": "Send the RDSR file",
    }
    for content, message in cases.items():
        response = _post(client, headers, procedure.id, content)
        assert response.status_code == 422, (message, response.json)
        assert message in " ".join(response.json["errors"].values()), response.json
    with Session(get_engine(app)) as db:
        assert db.exec(select(func.count(DoseEvent.id))).one() == 0
    assert _post(client, bearer("nurse"), procedure.id, cases[b""] and b"x").status_code == 403


def test_a_typed_value_is_not_overwritten(app, client, clinic, bearer):
    with Session(get_engine(app), expire_on_commit=False) as db:
        typed = make_procedure(db, db.get(Patient, clinic.patient.id), when=WHEN)  # DAP 350
        db.commit()
    content = xray_rdsr(events=[("1.2.826.5.1", 299.9)], fluoro_time_s=60, patient_id="",
                        day=WHEN.date())
    response = _post(client, bearer("physician"), typed.id, content)
    assert response.json["differing"] == {"dap_mgy_cm2": [350.0, 299.9]}
    assert _procedure(app, typed.id).dap_mgy_cm2 == 350.0
    login(client, clinic.users["physician"])
    assert "(typed 350)" in client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)


def test_a_locked_record_refuses_the_import(app, client, empty, bearer):
    clinic, procedure = empty
    with Session(get_engine(app)) as db:
        lock_patient(db, db.get(Patient, clinic.patient.id), actor_id=None)
        db.commit()
    content = xray_rdsr(events=[("1.2.826.6.1", 10.0)], fluoro_time_s=1, patient_id=MRN,
                        day=WHEN.date())
    response = _post(client, bearer("physician"), procedure.id, content)
    assert response.status_code == 423 and "locked" in response.json["message"]


def test_the_screen_upload_imports_and_says_so(app, client, empty):
    clinic, procedure = empty
    content = xray_rdsr(events=[("1.2.826.7.1", 88.8)], fluoro_time_s=5, patient_id=MRN,
                        day=WHEN.date())
    login(client, clinic.users["physician"])
    import io
    response = client.post(f"/procedures/{procedure.id}/dose-report",
                           data={"file": (io.BytesIO(content), "report.dcm")},
                           content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "dose report imported. 1 new irradiation event(s)" in page
    assert _procedure(app, procedure.id).dap_mgy_cm2 == 88.8
    bad = client.post(f"/procedures/{procedure.id}/dose-report",
                      data={"file": (io.BytesIO(b"junk"), "x.dcm")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert "Not imported: Not a readable DICOM file" in bad.get_data(as_text=True)


def test_the_folder_import_lists_matches_then_imports_on_confirm(app, empty, tmp_path):
    clinic, procedure = empty
    (tmp_path / "a.dcm").write_bytes(xray_rdsr(events=[("1.2.826.8.1", 42.0)],
                                               fluoro_time_s=3, patient_id=MRN,
                                               day=WHEN.date()))
    (tmp_path / "b.dcm").write_bytes(xray_rdsr(events=[("1.2.826.8.2", 1.0)],
                                               fluoro_time_s=1, patient_id="NOBODY",
                                               day=WHEN.date()))
    (tmp_path / "c.dcm").write_bytes(b"corrupt")
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["dose", "import", str(tmp_path)])
    assert listed.exit_code == 0, listed.output
    assert f"a.dcm: -> {clinic.patient.study_code}, procedure of {WHEN.date()} (patient and day)" \
        in listed.output
    assert "b.dcm: no procedure: no patient has this MRN" in listed.output
    assert "c.dcm: not read" in listed.output and "--confirm" in listed.output
    assert _procedure(app, procedure.id).dap_mgy_cm2 is None  # nothing without --confirm
    physician = clinic.users["physician"].email
    done = runner.invoke(args=["dose", "import", str(tmp_path), "--confirm", "--by", physician])
    assert "a.dcm: ->" in done.output and "1 new event(s)" in done.output
    assert done.exit_code == 1, "b and c did not go in: said by the exit code too"
    assert _procedure(app, procedure.id).dap_mgy_cm2 == 42.0
    again = runner.invoke(args=["dose", "import", str(tmp_path), "--confirm", "--by", physician])
    assert "0 new event(s), 1 known" in again.output
    assert "already imported 1" in again.output and "imported 1" not in again.output.replace(
        "already imported 1", "")  # a file imported before is not counted as imported


def test_the_folder_import_names_who_confirmed_it_in_the_audit_trail(app, empty, tmp_path):
    """Found trying the command line as a new user would: the import confirmed on the
    command line was audited as done by "system"."""
    from clinic.models import AuditEvent

    clinic, procedure = empty
    (tmp_path / "rdsr").mkdir()  # (tmp_path holds the SQLite database)
    (tmp_path / "rdsr" / "a.dcm").write_bytes(xray_rdsr(events=[("1.2.826.8.7", 12.0)],
                                                        fluoro_time_s=3, patient_id=MRN,
                                                        day=WHEN.date()))
    runner = app.test_cli_runner()
    folder = str(tmp_path / "rdsr")
    nobody = runner.invoke(args=["dose", "import", folder, "--confirm"])
    assert nobody.exit_code == 2 and "--confirm needs --by EMAIL" in nobody.output
    unknown = runner.invoke(args=["dose", "import", folder, "--confirm", "--by", "x@y.invalid"])
    assert unknown.exit_code == 2 and "no active login 'x@y.invalid'" in unknown.output
    nurse = clinic.users["nurse"].email
    refused = runner.invoke(args=["dose", "import", folder, "--confirm", "--by", nurse])
    assert refused.exit_code == 2 and "is a nurse" in refused.output
    assert "physician, coordinator or admin" in refused.output
    alone = runner.invoke(args=["dose", "import", folder, "--by", nurse])  # no --confirm
    assert alone.exit_code == 2 and "add --confirm" in alone.output
    assert _procedure(app, procedure.id).dap_mgy_cm2 is None
    coordinator = clinic.users["coordinator"]
    done = runner.invoke(args=["dose", "import", folder, "--confirm", "--by",
                               coordinator.email.upper()])
    assert done.exit_code == 0, done.output
    with Session(get_engine(app)) as session:
        actors = set(session.exec(select(AuditEvent.user_id).where(
            AuditEvent.entity == "procedure", AuditEvent.entity_id == procedure.id,
            AuditEvent.field == "dap_mgy_cm2")))
    assert actors == {coordinator.id}


def test_a_sub_folder_and_a_link_to_nothing_are_named_not_passed_over(app, empty, tmp_path):
    """Found trying the command line as a new user would: a sub-folder of reports and a
    dangling link were skipped without a word."""
    (tmp_path / "ct-room").mkdir()
    (tmp_path / "ct-room" / "x.dcm").write_bytes(b"corrupt")
    (tmp_path / "gone.dcm").symlink_to(tmp_path / "nowhere.dcm")
    listed = app.test_cli_runner().invoke(args=["dose", "import", str(tmp_path)])
    assert "ct-room/: a folder, not searched (import it by its own name)" in listed.output
    assert "gone.dcm: a link to nothing, skipped" in listed.output
    assert "skipped 2" in listed.output and "no files" not in listed.output


def test_table_4_shows_the_dose_of_the_file(app, client, empty, bearer):
    from clinic.reports.builder import build_report
    from clinic.reports.filters import filters_from_mapping
    from tests.web.helpers import today_in

    clinic, procedure = empty
    content = xray_rdsr(events=[("1.2.826.9.1", 299.9)], fluoro_time_s=42, patient_id=MRN,
                        day=WHEN.date(), vendor="B")  # dGy·cm² and minutes in the file
    assert _post(client, bearer("physician"), procedure.id, content).status_code == 201
    with Session(get_engine(app)) as db:
        report = build_report(db, clinic.study.code, filters_from_mapping({}, today_in(app)),
                              timezone="Europe/Berlin")
    table4 = report.table("table4").to_csv()
    assert "299.9" in table4 and "42" in table4, table4


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -5.0, 1e12])
def test_implausible_numbers_in_a_file_are_refused(app, client, empty, bearer, value):
    _clinic, procedure = empty
    content = xray_rdsr(events=[("1.2.826.10.1", value)], fluoro_time_s=1, patient_id=MRN,
                        day=WHEN.date(), total_dap=1.0)
    response = _post(client, bearer("physician"), procedure.id, content)
    assert response.status_code == 422 and "not a plausible value" in str(response.json)
    assert _procedure(app, procedure.id).dap_mgy_cm2 is None


def test_an_event_listed_twice_in_one_file_counts_once(app, client, empty, bearer):
    _clinic, procedure = empty
    twice = xray_rdsr(events=[("1.2.826.11.1", 10.0), ("1.2.826.11.1", 10.0)],
                      fluoro_time_s=1, patient_id=MRN, day=WHEN.date(), total_dap=10.0)
    response = _post(client, bearer("physician"), procedure.id, twice)
    assert response.status_code == 201 and response.json["new_events"] == 1
    other = xray_rdsr(events=[("1.2.826.11.2", 10.0), ("1.2.826.11.2", 12.0)],
                      fluoro_time_s=1, patient_id=MRN, day=WHEN.date(), total_dap=22.0)
    refused = _post(client, bearer("physician"), procedure.id, other)
    assert refused.status_code == 422 and "appears twice" in str(refused.json)


@pytest.mark.parametrize(("content", "message"), [
    (lambda: xray_rdsr(events=[("1.2.826.12.1", 9_000_000.0), ("1.2.826.12.2", 9_000_000.0)],
                       fluoro_time_s=1, patient_id=MRN, day=WHEN.date(), total_dap=1000.0),
     "is not the sum of its irradiation events"),
    (lambda: xray_rdsr(events=[("1.2.826.12.3", 1.0)], fluoro_time_s=1, patient_id=MRN,
                       day=WHEN.date(), sop_uid="1.2." + "3" * 70),
     "a DICOM UID has at most 64"),
])
def test_inconsistent_files_are_refused(app, client, empty, bearer, content, message):
    _clinic, procedure = empty
    response = _post(client, bearer("physician"), procedure.id, content())
    assert response.status_code == 422 and message in str(response.json), response.json
    assert _procedure(app, procedure.id).dap_mgy_cm2 is None


def test_a_split_report_beyond_the_bounds_is_refused(app, client, empty, bearer):
    _clinic, procedure = empty
    study = "1.2.826.13.9"
    for n, seconds in ((1, 30_000), (2, 20_000)):
        content = xray_rdsr(events=[(f"1.2.826.13.{n}", 1.0)], fluoro_time_s=seconds,
                            patient_id=MRN, day=WHEN.date(), study_uid=study)
        response = _post(client, bearer("physician"), procedure.id, content)
    assert response.status_code == 422 and "would be 50000, beyond 36,000" in str(response.json)
    assert _procedure(app, procedure.id).fluoroscopy_time_s == 30_000.0


def test_a_locked_record_refuses_the_upload_on_the_page_with_a_message(app, client, empty):
    clinic, procedure = empty
    with Session(get_engine(app)) as db:
        lock_patient(db, db.get(Patient, clinic.patient.id), actor_id=None)
        db.commit()
    login(client, clinic.users["physician"])
    import io
    content = xray_rdsr(events=[("1.2.826.14.1", 1.0)], fluoro_time_s=1, patient_id=MRN,
                        day=WHEN.date())
    response = client.post(f"/procedures/{procedure.id}/dose-report",
                           data={"file": (io.BytesIO(content), "r.dcm")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not imported: This patient&#39;s record (" in page and "is locked" in page


def test_the_missing_dose_query_is_answered_by_the_import(app, client, empty, bearer):
    from clinic.models import DataQuery, DataQueryStep

    _clinic, procedure = empty
    with Session(get_engine(app)) as db:  # raised when the procedure was saved without DAP
        query = db.exec(select(DataQuery).where(DataQuery.rule == "dose_missing",
                                                DataQuery.target_id == procedure.id)).one()
        assert query.status == "open"
    content = xray_rdsr(events=[("1.2.826.15.1", 77.0)], fluoro_time_s=5, patient_id=MRN,
                        day=WHEN.date())
    assert _post(client, bearer("physician"), procedure.id, content).status_code == 201
    with Session(get_engine(app)) as db:
        assert db.get(DataQuery, query.id).status == "answered"
        last = db.exec(select(DataQueryStep).where(DataQueryStep.query_id == query.id)
                       .order_by(DataQueryStep.id.desc())).first()
    assert last.text.startswith("Filled from the dose report") and last.text.endswith("77.")
