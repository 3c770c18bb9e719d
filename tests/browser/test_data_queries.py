"""A data query in a real browser: a monitor raises it on a VAS value; the nurse sees it
on her worklist and corrects the value with a reason; the monitor closes it; the audit
trail's CSV lists the four steps with names and local times."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import Session, select

from clinic.audit import set_actor
from clinic.db import get_engine
from clinic.followup.service import record_follow_up
from clinic.models import Assessment, StudyTimepoint
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _log_in(browser, live, role: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live.url}/login")
    page.fill("#email", live.clinic.users[role].email)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live.url}/")
    return context, page


def _week_1_vas(live) -> None:
    """The patient's 1-week visit, recorded with VAS 7 (the value to query)."""
    with Session(get_engine(live.app), expire_on_commit=False) as db:
        visit = db.exec(select(Assessment).join(StudyTimepoint).where(
            Assessment.patient_id == live.clinic.patient.id,
            StudyTimepoint.code == "week_1")).one()
        set_actor(db, live.clinic.users["nurse"].id, None)
        record_follow_up(db, assessment=visit, entries={"vas": 7}, mode="phone",
                         actor_id=live.clinic.users["nurse"].id, visit_on=visit.target_date)
        db.commit()


def test_monitor_query_nurse_correction_monitor_close_audit_export(browser, live):
    _week_1_vas(live)
    code = live.clinic.patient.study_code
    monitor_context, monitor = _log_in(browser, live, "monitor")
    monitor.goto(f"{live.url}/patients/{live.clinic.patient.id}")
    monitor.get_by_role("link", name="Raise a query on Pain (VAS) at 1 week").click()
    monitor.fill("#text", "The source document says VAS 4: which is right?")
    monitor.get_by_role("button", name="Raise the query").click()
    monitor.wait_for_url(f"{live.url}/patients/{live.clinic.patient.id}")
    flag = monitor.locator("a.query-flag", has_text="open")
    query_url = flag.first.get_attribute("href")

    nurse_context, nurse = _log_in(browser, live, "nurse")
    nurse.goto(f"{live.url}/worklist")
    banner = nurse.locator("#open-queries")
    assert "open data quer" in banner.text_content() and "at your site" in banner.text_content()
    banner.get_by_role("link").click()
    nurse.get_by_role("link", name=f"#{query_url.rsplit('/', 1)[1]}", exact=True).click()
    assert "VAS 4: which is right?" in nurse.text_content("main")
    nurse.get_by_role("link", name="Correct the value (with a reason)").click()
    nurse.wait_for_selector("#followup-form")
    nurse.fill("#vas", "4")
    nurse.fill("#reason", "Transcription error: the source says 4")
    nurse.get_by_role("button", name="Save correction").click()
    nurse.wait_for_url(f"{live.url}{query_url}")  # back on the query's page
    assert "is answered" in nurse.text_content("main")

    monitor.goto(f"{live.url}{query_url}")
    assert monitor.text_content("#value-now").strip() == "4"
    monitor.get_by_role("button", name="Close the query").click()
    monitor.wait_for_selector("text=Closed by Test monitor")

    coordinator_context, coordinator = _log_in(browser, live, "coordinator")
    coordinator.goto(f"{live.url}/studies/{live.clinic.study.code}/audit?patient={code}")
    with coordinator.expect_download() as download:
        coordinator.get_by_role("link", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text("utf-8-sig"))))
    query_id = query_url.rsplit("/", 1)[1]
    steps = [r for r in rows if (r["record"].startswith("data query step")
                                 and r["action"] == "created")
             or (r["record"].startswith("score") and r["field"] == "score"
                 and r["action"] == "changed")]
    steps.sort(key=lambda r: int(r["event"]))
    assert [(r["user"], r["reason"]) for r in steps] == [
        ("Test monitor", "Data query raised on Pain (VAS) at 1 week"),
        ("Test nurse", "Transcription error: the source says 4"),
        ("Test nurse", f"Data query #{query_id} answered"),
        ("Test monitor", f"Data query #{query_id} closed")]
    assert all(r["time"].endswith(("CET", "CEST")) for r in steps), [r["time"] for r in steps]
    for context in (monitor_context, nurse_context, coordinator_context):
        context.close()
