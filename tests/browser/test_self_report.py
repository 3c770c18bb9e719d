"""The patient's own follow-up in a real browser on a 360 × 740 phone: the link from a
real e-mail, VAS with the slider, the ODI one section per screen, the page closed
half-way and the link opened again, the answers sent; then the nurse's view. axe-core
finds no violation on any patient page."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from clinic.db import get_engine
from clinic.demo.protocol import DEMO_STUDY
from clinic.models import Assessment, PatientIdentity, StudyTimepoint
from clinic.reminders.delivery import run_once
from clinic.selfreport.ladder import LadderSpec
from tests.browser.test_flows import log_in
from tests.factories import make_patient, make_procedure, make_study
from tests.reminders.conftest import smtp  # noqa: F401  (fixture)
from tests.web.helpers import today_in

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
LINK = re.compile(r"(http://[^\s]+/r/[A-Za-z0-9_-]{32})")
_numbers = count(1)


def _patient_with_a_link(live, smtp, study=None, birth_date=None) -> tuple[str, int, int]:  # noqa: F811
    """A consenting patient whose 1-month window opens today, and the invitation e-mailed to
    them by the daily job through a real SMTP server: (link, assessment id, patient id)."""
    with Session(get_engine(live.app), expire_on_commit=False) as session:
        patient, _ = make_patient(session, study or live.clinic.study, site=live.clinic.north,
                                  enrolled_on=today_in(live.app) - timedelta(days=25),
                                  study_code=f"SELF-{next(_numbers):03d}", self_report=True,
                                  birth_date=birth_date)
        zone = ZoneInfo(live.app.config["TIMEZONE"])  # 23 clinic days ago: the window opens today
        make_procedure(session, patient, when=datetime.combine(
            today_in(live.app) - timedelta(days=23), time(9, 30), tzinfo=zone))
        identity = session.exec(select(PatientIdentity).where(
            PatientIdentity.patient_id == patient.id)).one()
        identity.name = "Ana Synthetic"
        session.add(identity)
        visit = session.exec(select(Assessment).join(
            StudyTimepoint, StudyTimepoint.id == Assessment.timepoint_id).where(
            Assessment.patient_id == patient.id, StudyTimepoint.code == "month_1")).one()
        session.commit()
        address = identity.email
    live.app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port,
                           MAIL_FROM="clinic@clinic.test",
                           PUBLIC_URL=live.url)
    run_once(live.app)
    mails = smtp.handler.to(address)
    assert len(mails) == 1, [(m["Subject"], m["Message-ID"]) for m in mails]
    [mail] = mails
    return LINK.search(mail.get_content()).group(1), visit.id, patient.id  # type: ignore[union-attr]


def _axe(page, found: dict[str, list]) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    if violations:
        found[page.url] = [(v["id"], v["impact"], v["nodes"][0]["target"]) for v in violations]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url}: {width} px wide"


def _choose(page, text: str) -> None:
    page.get_by_label(text, exact=True).check()
    page.get_by_role("button", name="Next").click()


def test_the_patient_answers_on_a_phone_closes_half_way_and_finishes(browser, live, smtp):  # noqa: F811
    link, visit_id, patient_id = _patient_with_a_link(live, smtp)
    found: dict[str, list] = {}
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    page.goto(link)
    expect(page.get_by_role("heading", name="Hello Ana,")).to_be_visible()
    _axe(page, found)
    page.get_by_role("link", name="Start").click()
    expect(page.get_by_text("Question 1 of 12")).to_be_visible()
    slider = page.locator("#slider")
    expect(slider).to_be_visible()  # JavaScript shows the slider beside the number box
    slider.fill("6.5")
    assert page.locator("#answer").input_value() == "6.5"
    page.fill("#answer", "7")
    _axe(page, found)
    page.get_by_role("button", name="Next").click()
    _axe(page, found)  # an ODI section: six statements
    for statement in ("The pain is fairly severe at the moment.",
                      "I look after myself normally, but it is very painful.",
                      "I can lift only very light weights.",
                      "Pain stops me walking more than about 500 m (a quarter of a mile).",
                      "Pain stops me sitting for more than an hour."):
        _choose(page, statement)
    expect(page.get_by_text("Question 7 of 12")).to_be_visible()
    context.close()  # the phone goes to sleep, the tab is gone

    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    page.goto(link)
    expect(page.get_by_text("You have answered 6 of 12 questions")).to_be_visible()
    page.get_by_role("link", name="Continue where you left off").click()
    expect(page.get_by_text("Question 7 of 12")).to_be_visible()
    for statement in ("Pain stops me standing for more than half an hour.",
                      "Because of pain I sleep less than 6 hours."):
        _choose(page, statement)
    page.get_by_role("button", name="Skip this question").click()  # sex life
    for statement in ("Pain has restricted my social life; I go out less often.",
                      "Pain restricts me to journeys of less than an hour."):
        _choose(page, statement)
    _axe(page, found)  # the satisfaction question
    _choose(page, "Satisfied")
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_text("Pain stops me sitting for more than an hour.")).to_be_visible()
    _axe(page, found)
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    _axe(page, found)
    page.goto(link)  # used: a clear page
    expect(page.get_by_role("heading", name="We already have your answers")).to_be_visible()
    _axe(page, found)
    page.goto(link[:-4] + "AAAA")  # forged
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    _axe(page, found)
    context.close()
    assert not found, found

    with Session(get_engine(live.app)) as session:
        visit = session.get(Assessment, visit_id)
        assert (visit.state, visit.mode) == ("completed", "self_report")  # type: ignore[union-attr]
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    nurse = context.new_page()
    log_in(nurse, live, "nurse")
    nurse.goto(f"{live.url}/worklist")
    assert nurse.locator(f"a[href='/followup/{visit_id}']").count() == 0
    nurse.goto(f"{live.url}/patients/{patient_id}")
    expect(nurse.locator(".mode", has_text="Patient self-report")).to_be_visible()
    nurse.get_by_text("Self-report: answered").click()
    expect(nurse.get_by_text("Invitation: sent")).to_be_visible()
    context.close()


def test_the_birth_year_page_passes_axe(browser, live, smtp):  # noqa: F811
    with Session(get_engine(live.app), expire_on_commit=False) as session:
        study = make_study(session, replace(DEMO_STUDY, code="SRCHECK", self_report=LadderSpec(
            (0, 3, 7), 10, "birth_year")))
        session.commit()
    link, _visit, _patient = _patient_with_a_link(live, smtp, study, date(1961, 5, 4))
    found: dict[str, list] = {}
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    page.goto(link)
    expect(page.get_by_role("heading", name="Please confirm it is you")).to_be_visible()
    _axe(page, found)
    page.fill("#year", "1960")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("You can try 4 more times")).to_be_visible()
    _axe(page, found)
    page.fill("#year", "1961")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name="Start")).to_be_visible()
    context.close()
    assert not found, found
