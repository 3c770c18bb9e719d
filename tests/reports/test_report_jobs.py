"""Large studies' reports are built in the background: the report page offers the
formats, a job page shows the progress and then the file, which carries the same
numbers as the direct download. A job is its starter's only; a dead worker's job says
it was interrupted; a day later the job and its file are gone."""

from __future__ import annotations

import io
import os
import re
import subprocess
import time
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

from clinic.reports import jobs
from clinic.reports.filters import filters_from_mapping
from tests.factories import make_user
from tests.reports.helpers import GAP_STUDY, populate
from tests.web.helpers import login

QUERY = "as_of=2026-12-01&sites=NORTH"


def _finished(client, page_url: str, seconds: float = 90) -> str:
    """The job page's text once it no longer reloads itself."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page = client.get(page_url)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        if 'http-equiv="refresh"' not in text:
            return text
        time.sleep(0.2)
    raise AssertionError("the report job did not finish")


def _start(client, fmt: str) -> str:
    started = client.post(f"/studies/GAP/report/jobs?{QUERY}", data={"fmt": fmt})
    assert started.status_code == 303
    return started.headers["Location"]


def _tables(zipped: bytes) -> bytes:
    return zipfile.ZipFile(io.BytesIO(zipped)).read("report_tables.csv")


def test_a_large_study_is_built_in_the_background_with_the_same_numbers(app, db):
    app.config["REPORT_INLINE_MAX_PATIENTS"] = 0  # every study counts as large here
    populate(db, GAP_STUDY, 6)
    physician = make_user(db, "physician")
    db.commit()
    client = login(app.test_client(), physician)

    page = client.get(f"/studies/GAP/report?{QUERY}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "it is built in the background" in text
    assert "Table 3. Outcomes at each timepoint" not in text  # not computed in the request

    job_url = _start(client, "csv")
    assert re.fullmatch(r"/reports/jobs/[A-Za-z0-9_-]{32}", job_url)
    done = _finished(client, job_url)
    assert "The report is ready" in done and "Sites: NORTH" in done
    link = re.search(r'href="(/reports/jobs/[^"]+/file)"', done).group(1)  # type: ignore[union-attr]
    file = client.get(link)
    assert file.status_code == 200 and file.mimetype == "application/zip"
    assert re.search(r"gap_report_\d{4}-\d{2}-\d{2}_[0-9a-f]{8}_csv\.zip",
                     file.headers["Content-Disposition"])
    assert file.headers["Cache-Control"] == "no-store"
    direct = client.get(f"/studies/GAP/report/download/csv?{QUERY}")
    assert _tables(file.data) == _tables(direct.data)
    file.close()

    pdf_url = _start(client, "pdf")
    _finished(client, pdf_url)
    pdf = client.get(pdf_url + "/file")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    pdf.close()


def test_a_job_is_shown_to_its_starter_only(app, db):
    app.config["REPORT_INLINE_MAX_PATIENTS"] = 0
    populate(db, GAP_STUDY, 4)
    first, second = make_user(db, "physician"), make_user(db, "coordinator")
    nurse = make_user(db, "nurse")
    db.commit()
    owner = login(app.test_client(), first)
    job_url = _start(owner, "html")
    _finished(owner, job_url)
    other = login(app.test_client(), second)
    assert other.get(job_url).status_code == 404
    assert other.get(job_url + "/file").status_code == 404
    nurse_client = login(app.test_client(), nurse)
    assert nurse_client.get(job_url).status_code == 403
    assert nurse_client.post("/studies/GAP/report/jobs", data={"fmt": "pdf"}).status_code == 403
    for forged in ("../../etc/passwd", "x" * 32, "A" * 31, "%2e%2e%2fsecret_key"):
        assert owner.get(f"/reports/jobs/{forged}").status_code == 404, forged
    assert owner.post("/studies/GAP/report/jobs", data={"fmt": "exe"}).status_code == 404
    assert owner.post("/studies/NOPE/report/jobs", data={"fmt": "pdf"}).status_code == 404
    assert owner.post("/studies/GAP/report/jobs?date_from=2026-02-01&date_to=2026-01-01",
                      data={"fmt": "pdf"}).status_code == 422


def test_a_small_study_is_still_built_in_the_request(app, db):
    populate(db, GAP_STUDY, 4)
    physician = make_user(db, "physician")
    db.commit()
    page = login(app.test_client(), physician).get(f"/studies/GAP/report?{QUERY}")
    assert b"Table 3. Outcomes at each timepoint" in page.data
    assert b"built in the background" not in page.data


def test_a_failed_job_says_so_and_an_orphaned_one_says_it_was_interrupted(app, db,
                                                                             tmp_path):
    physician = make_user(db, "physician")
    db.commit()
    folder = jobs.jobs_dir(app.config, app.instance_path)
    filters = filters_from_mapping({"as_of": "2026-12-01"}, date(2026, 12, 1))
    job = jobs.new_job(folder, user_id=physician.id, study="NOPE", fmt="pdf", filters=filters)
    ended = jobs.run(app, folder, job, filters)  # in this thread: the study does not exist
    assert (ended.state, ended.error) == ("failed", "There is no study NOPE.")
    client = login(app.test_client(), physician)
    assert "There is no study NOPE." in client.get(f"/reports/jobs/{job.token}").get_data(
        as_text=True)

    gone = subprocess.Popen(["true"])
    gone.wait()
    orphan = jobs.save(folder, replace(jobs.new_job(folder, user_id=physician.id, study="GAP",
                                                    fmt="pdf", filters=filters),
                                       state="running", pid=gone.pid))
    text = client.get(f"/reports/jobs/{orphan.token}").get_data(as_text=True)
    assert "This report was interrupted" in text and 'http-equiv="refresh"' not in text


def test_jobs_older_than_a_day_are_removed_with_their_files(tmp_path: Path):
    folder = tmp_path / "jobs"
    folder.mkdir()
    filters = filters_from_mapping({"as_of": "2026-12-01"}, date(2026, 12, 1))
    old = jobs.new_job(folder, user_id=1, study="GAP", fmt="pdf", filters=filters)
    jobs.output_path(folder, old).write_bytes(b"%PDF old")
    new = jobs.new_job(folder, user_id=1, study="GAP", fmt="pdf", filters=filters)
    partial = folder / ".left-behind.json.1.2"
    partial.write_bytes(b"{")
    day_ago = time.time() - jobs.KEEP_SECONDS - 60
    for path in (folder / f"{old.token}.json", jobs.output_path(folder, old), partial):
        os.utime(path, (day_ago, day_ago))
    assert jobs.remove_old_jobs(folder) == 1
    assert sorted(p.name for p in folder.iterdir()) == [f"{new.token}.json"]
    assert jobs.load(folder, new.token, 1) is not None and jobs.load(folder, old.token, 1) is None
    assert jobs.load(folder, new.token, 2) is None  # someone else's


def test_a_job_gives_back_the_memory_its_report_freed_whether_it_ends_well_or_not(
        app, db, monkeypatch):
    given_back: list[str] = []
    monkeypatch.setattr("clinic.reports.memory.give_back_memory",
                        lambda: given_back.append("after the job"))
    populate(db, GAP_STUDY, 3)
    physician = make_user(db, "physician")
    db.commit()
    folder = jobs.jobs_dir(app.config, app.instance_path)
    filters = filters_from_mapping({"as_of": "2026-12-01"}, date(2026, 12, 1))
    for study, state in (("GAP", "done"), ("NOPE", "failed")):
        job = jobs.new_job(folder, user_id=physician.id, study=study, fmt="csv",
                           filters=filters)
        assert jobs.run(app, folder, job, filters).state == state
    assert given_back == ["after the job"] * 2
