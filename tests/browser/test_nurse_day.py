"""The nurse's day in a real browser: a follow-up completed at phone, tablet and desktop
widths without sideways scrolling, Enter that does not save, finding a patient by name
and MRN (her site only), and axe-core over every main page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from clinic.db import get_engine
from clinic.models import Assessment, PatientIdentity, StudyTimepoint
from tests.browser.test_flows import log_in
from tests.factories import make_patient, make_procedure

pytestmark = pytest.mark.browser
VIEWPORTS = {"phone": (360, 740), "tablet": (820, 1180), "desktop": (1366, 768)}
ODI = ["2", "1", "3", "2", "1", "2", "1", "0", "2", "2"]
_numbers = count(1)


def _patient_due_today(live, name: str, mrn: str, south: bool = False) -> tuple[int, str]:
    """A patient of the demo study whose 1-month visit is due today; (assessment id, code)."""
    with Session(get_engine(live.app), expire_on_commit=False) as session:
        site = live.clinic.south if south else live.clinic.north
        patient, _ = make_patient(session, live.clinic.study, site=site,
                                  enrolled_on=date.today() - timedelta(days=31),
                                  study_code=f"DAY-{next(_numbers):03d}")
        make_procedure(session, patient, when=datetime.now(UTC) - timedelta(days=30))
        identity = session.exec(select(PatientIdentity).where(
            PatientIdentity.patient_id == patient.id)).one()
        identity.name, identity.mrn = name, mrn
        session.add(identity)
        due = session.exec(select(Assessment).join(
            StudyTimepoint, StudyTimepoint.id == Assessment.timepoint_id).where(
            Assessment.patient_id == patient.id, StudyTimepoint.code == "month_1")).one()
        session.commit()
        return due.id, patient.study_code


def _no_sideways_scroll(page) -> None:
    page.wait_for_load_state("load")  # measured with the stylesheet applied: on a loaded
    # machine an element could show before it, and the unstyled page is wider (CI once)
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{page.url}: {width} px wide in a {viewport} px viewport"


def _in_view(page, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"], selector


@pytest.mark.parametrize("device", sorted(VIEWPORTS))
def test_a_follow_up_is_completed_at_every_width(browser, live, device):
    width, height = VIEWPORTS[device]
    assessment_id, code = _patient_due_today(live, f"Width Test {device}", f"W-{device}")
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    log_in(page, live, "nurse")
    page.goto(f"{live.url}/worklist")
    _no_sideways_scroll(page)
    enter = page.get_by_role("link", name=f"Enter follow-up 1 month for {code}")
    enter.scroll_into_view_if_needed()
    _in_view(page, f"a[href='/followup/{assessment_id}']")
    enter.click()
    page.wait_for_selector("#followup-form")
    _no_sideways_scroll(page)
    page.select_option("#mode", "phone")
    page.fill("#vas", "12")
    for section, value in zip(("pain_intensity", "personal_care", "lifting", "walking",
                               "sitting", "standing", "sleeping", "sex_life", "social_life",
                               "travelling"), ODI, strict=True):
        page.fill(f"#odi-{section}", value)
    page.select_option("#satisfaction_results", "satisfied")
    save = page.get_by_role("button", name="Save follow-up")
    save.scroll_into_view_if_needed()
    _in_view(page, "button[name=save]")
    save.click()
    page.wait_for_selector("#vas-error")
    _no_sideways_scroll(page)
    expect(page.locator("#vas")).to_be_focused()  # the refused field (waits for the script)
    page.fill("#vas", "6")
    page.get_by_role("button", name="Save follow-up").click()
    page.wait_for_url(f"{live.url}/worklist")
    assert f"Saved {code}" in page.text_content("main")
    context.close()


def test_enter_in_the_vas_box_does_not_save(page, live):
    assessment_id, code = _patient_due_today(live, "Enter Key Test", "ENTER-1")
    log_in(page, live, "nurse")
    page.goto(f"{live.url}/followup/{assessment_id}")
    page.select_option("#mode", "phone")
    page.fill("#vas", "5")
    page.focus("#vas")
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    assert page.url.endswith(f"/followup/{assessment_id}"), "still on the form"
    assert page.evaluate("document.activeElement.id") != "vas", "Enter moved to the next field"
    with Session(get_engine(live.app)) as session:
        assert session.get(Assessment, assessment_id).state == "pending"


def test_not_done_without_a_reason_takes_the_nurse_to_the_reason(page, live):
    """The reason box sits below the scores: after a refusal the page opens at the top
    unless the refused field takes the focus (and is scrolled into view)."""
    assessment_id, _code = _patient_due_today(live, "Not Done Reason", "NOTDONE-1")
    log_in(page, live, "nurse")
    page.goto(f"{live.url}/followup/{assessment_id}")
    page.get_by_role("button", name="Mark not done").click()
    page.wait_for_selector("#not_done_reason-error")
    expect(page.locator("#not_done_reason")).to_be_focused()
    box = page.locator("#not_done_reason").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"], box
    with Session(get_engine(live.app)) as session:
        assert session.get(Assessment, assessment_id).state == "pending"


def test_a_nurse_finds_her_patient_by_name_and_mrn_not_another_sites(browser, live):
    _id, code = _patient_due_today(live, "Marie-Hélène Dubois", "MRN-99213")
    north = browser.new_context().new_page()
    log_in(north, live, "nurse")
    for query in ("helene dub", "mrn-992"):
        north.fill("#header-q", query)
        north.keyboard.press("Enter")
        north.wait_for_selector("#search-results")
        row = north.locator("#search-results tbody tr", has_text=code)
        assert row.count() == 1 and "Marie-Hélène Dubois" in row.text_content()
    south = browser.new_context().new_page()
    south.goto(f"{live.url}/login")
    south.fill("#email", live.clinic.users["nurse_south"].email)
    from tests.factories import PASSWORD

    south.fill("#password", PASSWORD)
    south.keyboard.press("Enter")
    south.wait_for_url(f"{live.url}/")
    south.goto(f"{live.url}/search?q=dubois")
    assert south.locator("#no-hits").count() == 1


MAIN_PAGES = {
    "nurse": ["/", "/worklist", "/worklist/week", "/patients", "/grid", "/search?q=test",
              "/reminders/", "/account", "/studies/DEMO/enroll", "/studies/DEMO/screening",
              "/studies/DEMO/sheets", "/followup/{due}", "/patients/{patient}"],
    "physician": ["/cohort", "/reports", "/studies/DEMO/report",
                  "/patients/{patient}/procedures/new"],
    "admin": ["/admin/users", "/admin/studies/list", "/admin/studies/new", "/admin/sites",
              "/admin/studies/{study}", "/account/two-step"],
}


@pytest.mark.parametrize("role", sorted(MAIN_PAGES))
def test_axe_finds_nothing_serious_on_the_main_pages(browser, live, role):
    from axe_playwright_python.sync_playwright import Axe

    assessment_id, _code = _patient_due_today(live, f"Axe {role}", f"AXE-{role}")
    context = browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live, role)
    axe, found = Axe(), {}
    for path in MAIN_PAGES[role]:
        url = path.format(due=assessment_id, patient=live.clinic.patient.id,
                          study=live.clinic.study.id)
        response = page.goto(f"{live.url}{url}")
        assert response.status < 400, url
        results = axe.run(page)
        serious = [v for v in results.response["violations"]
                   if v["impact"] in ("serious", "critical")]
        if serious:
            found[url] = [(v["id"], v["nodes"][0]["target"]) for v in serious]
    context.close()
    assert not found, found


@pytest.mark.parametrize("device", ["phone", "tablet"])
@pytest.mark.parametrize("role", sorted(MAIN_PAGES))
def test_no_main_page_scrolls_sideways(browser, live, device, role):
    width, height = VIEWPORTS[device]
    assessment_id, _code = _patient_due_today(live, f"Narrow {role}", f"N-{role}-{device}")
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    log_in(page, live, role)
    wide = {}
    for path in MAIN_PAGES[role]:
        url = path.format(due=assessment_id, patient=live.clinic.patient.id,
                          study=live.clinic.study.id)
        page.goto(f"{live.url}{url}")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            wide[url] = scroll
    context.close()
    assert not wide, f"wider than {width} px: {wide}"


@pytest.mark.parametrize("device", ["phone", "tablet"])
def test_the_patient_pages_visits_are_cards_with_their_actions_in_view(browser, live, device):
    """Found trying the screens as a new user would: on a phone the patient page's visit
    table scrolled sideways inside its box, with Enter and Correct at its far right."""
    width, height = VIEWPORTS[device]
    _assessment_id, code = _patient_due_today(live, "Cards", f"CARDS-{device}")
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    log_in(page, live, "nurse")
    page.goto(f"{live.url}/search?q={code}")
    page.wait_for_load_state("load")
    if "/patients/" not in page.url:
        page.get_by_role("link", name=code).first.click()
    page.wait_for_load_state("load")
    _no_sideways_scroll(page)
    inner = page.evaluate("(() => { const t = document.querySelector('table.schedule');"
                          " return [t.scrollWidth, t.clientWidth]; })()")
    assert inner[0] <= inner[1] + 1, f"the visit table scrolls inside its box: {inner}"
    _in_view(page, "table.schedule td.action a:text('Enter')")
    context.close()


CHART_TEXT = """(() => {
  const svg = [...document.querySelectorAll('.chart-card svg.chart')]
    .filter(s => s.getBoundingClientRect().width > 0)[0];
  const card = svg.closest('.chart-card');
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const texts = [...svg.querySelectorAll('text')].map(t => {
    const r = t.getBoundingClientRect();
    return [t.textContent, r.left, r.right,
            scale * parseFloat(getComputedStyle(t).fontSize)];
  });
  const c = card.getBoundingClientRect();
  return {card: [card.scrollWidth, card.clientWidth, c.left, c.right], texts: texts};
})()"""


@pytest.mark.parametrize("width", [360, 390])
def test_the_cohort_chart_fits_a_phone_with_legible_text(browser, live, a_pain_score, width):
    """Found trying the app as a new user would: at 360 px the cohort chart kept 640 px
    and scrolled sideways inside its card, its later timepoints and its legend out of
    sight (shrunk to the card instead, its text was 5 px). On a phone it is drawn in a
    narrow layout, the legend under it: all of it in the card, its text 9 px or more."""
    context = browser.new_context(viewport={"width": width, "height": 740})
    page = context.new_page()
    log_in(page, live, "physician")
    chart = page.locator(".chart-card svg.chart:visible")
    for _ in range(40):  # figures cached before the VAS was recorded: recomputed, then shown
        page.goto(f"{live.url}/cohort?instrument=vas")
        page.wait_for_load_state("load")
        if chart.count():
            break
        page.wait_for_timeout(250)
    _no_sideways_scroll(page)
    assert chart.count() == 1
    found = page.evaluate(CHART_TEXT)
    context.close()
    scroll, inside, left, right = found["card"]
    assert scroll <= inside + 1, f"the chart scrolls inside its card: {found['card']}"
    assert "Group A: fluoroscopy-guided" in [t[0] for t in found["texts"]], "the legend"
    cut = [t for t in found["texts"] if t[1] < left or t[2] > right]
    assert not cut, f"text out of the card: {cut}"
    small = [t for t in found["texts"] if t[3] < 9]
    assert not small, f"text under 9 px: {small}"


def test_the_admin_studies_list_is_cards_on_a_phone(browser, live):
    """Found trying the screens as a new user would: at 390 px the studies table scrolled
    sideways inside its box, its links to the set-up and the protocol at its far right."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, live, "admin")
    page.goto(f"{live.url}/admin/studies/list")
    inner = page.evaluate("(() => { const t = document.querySelector('table#studies');"
                          " return [t.scrollWidth, t.clientWidth]; })()")
    assert inner[0] <= inner[1] + 1, f"the studies table scrolls inside its box: {inner}"
    _in_view(page, "table#studies td.action a:text('Protocol file')")
    context.close()


def test_reopening_without_a_reason_takes_the_nurse_to_the_reason(page, live):
    """Found trying the screens as a new user would: the refused Reopen form came back
    open at its visit (the address's #fragment), but its reason field, marked autofocus,
    did not take the focus: a browser skips autofocus when the address names a place."""
    from clinic.followup.service import mark_not_done
    from clinic.models import Patient

    assessment_id, _code = _patient_due_today(live, "Reopen Reason", "REOPEN-1")
    with Session(get_engine(live.app)) as session:
        visit = session.get(Assessment, assessment_id)
        mark_not_done(session, assessment=visit, reason="the patient could not be reached",
                      actor_id=None)
        session.commit()
        patient_id = session.get(Patient, visit.patient_id).id
    log_in(page, live, "nurse")
    page.goto(f"{live.url}/patients/{patient_id}")
    reopen = page.locator(f"#reopen-visit-{assessment_id}")
    reopen.locator("summary").click()
    reopen.get_by_role("button", name="Reopen the visit").click()
    page.wait_for_selector(f"#reopen-{assessment_id}-error")
    assert f"#reopen-visit-{assessment_id}" in page.url
    expect(page.locator(f"#reopen-{assessment_id}")).to_be_focused()
    box = page.locator(f"#reopen-{assessment_id}").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"], box
