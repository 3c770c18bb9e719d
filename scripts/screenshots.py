"""Screenshots of every screen, against a running demo server (see README / docs).

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:5057 docs/screenshots

Needs the Python package playwright and Debian's chromium (no browser download).
Logs in with the demo accounts (synthetic data only).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

PASSWORD = "demo-clinic-2026"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def log_in(page: Page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def shoot(page: Page, out: Path, name: str, full: bool = True) -> None:
    page.screenshot(path=str(out / f"{name}.png"), full_page=full)
    print("wrote", out / f"{name}.png")


def nurse(page: Page, base: str, out: Path) -> None:
    log_in(page, base, "nurse.north@demo.invalid")
    page.goto(f"{base}/worklist")
    shoot(page, out, "worklist", full=False)
    page.locator("table.worklist a.button", has_text="Enter").first.click()
    page.select_option("#mode", "phone")
    page.fill("#vas", "12")
    for i, value in enumerate(["2", "1", "3", "2", "1", "2", "1", "0", "2", "2"]):
        page.locator("input[data-section]").nth(i).fill(value)
    with page.expect_navigation():
        page.click("#followup-form button[name=save]")
    shoot(page, out, "followup_entry_error")
    page.goto(f"{base}/grid")
    shoot(page, out, "status_grid", full=False)


def physician(page: Page, base: str, out: Path) -> None:
    log_in(page, base, "physician@demo.invalid")
    shoot(page, out, "home", full=False)
    page.goto(f"{base}/studies/DEMO/report")
    shoot(page, out, "report", full=False)
    page.goto(f"{base}/cohort?instrument=odi")
    shoot(page, out, "cohort")
    page.goto(f"{base}/patients")
    page.locator("table.grid a").first.click()
    page.wait_for_load_state()
    shoot(page, out, "patient_physician")
    page.locator("a", has_text="Record a procedure").click()
    page.select_option("#modality", "ct")
    page.select_option("#procedure_type", "tfesi")
    shoot(page, out, "procedure_ct")
    page.select_option("#modality", "fluoroscopy")
    page.fill("#performed_at", "2026-11-20T10:00")
    page.fill("#punctures", "2")
    page.select_option("#injectate-0-drug", "methylprednisolone_acetate")
    page.fill("#injectate-0-dose_mg", "120")
    with page.expect_navigation():
        page.click("#procedure-form button[type=submit]")
    shoot(page, out, "procedure_fluoroscopy_warning")


def admin(page: Page, base: str, out: Path) -> None:
    log_in(page, base, "admin@demo.invalid")
    for path, name in (("/admin/users", "admin_users"), ("/admin/sites", "admin_sites"),
                       ("/admin/studies", "admin_study"), ("/account/tokens", "api_tokens"),
                       ("/patients", "patients")):
        page.goto(base + path)
        shoot(page, out, name, full=name != "patients")
    page.goto(f"{base}/admin/studies/1/builder")
    shoot(page, out, "study_builder")
    page.goto(f"{base}/admin/studies/1")
    page.locator("a", has_text="view the sequence").click()
    shoot(page, out, "admin_sequence", full=False)


def coordinator(page: Page, base: str, out: Path) -> None:
    log_in(page, base, "coordinator@demo.invalid")
    page.goto(f"{base}/reminders/")
    shoot(page, out, "reminders", full=False)
    page.goto(f"{base}/patients?code=DEMO-0002")
    page.locator("table.grid a").first.click()
    page.wait_for_load_state()
    for d in page.locator("details.audit").all()[:2]:
        d.locator("summary").click()
    shoot(page, out, "patient_coordinator")
    page.locator("table.schedule a", has_text="Correct").first.click()
    shoot(page, out, "followup_correction")
    page.go_back()
    page.locator("a", has_text="Correct baseline data").click()
    shoot(page, out, "patient_baseline_correction", full=False)
    page.go_back()
    page.locator("a", has_text="Correct the record").first.click()
    minutes = float(page.input_value("#operative_time_min") or 0) + 1  # a change on each run
    page.fill("#operative_time_min", f"{minutes:g}")
    page.fill("#reason", "Operative time read from the anaesthesia sheet")
    shoot(page, out, "procedure_correction")
    with page.expect_navigation():
        page.click("#procedure-form button[type=submit]")
    history = page.locator("details.audit summary", has_text="Procedure of").first
    history.evaluate("summary => { summary.parentElement.open = true; }")
    history.scroll_into_view_if_needed()
    shoot(page, out, "procedure_corrected_history", full=False)
    section_correction(page, out)


def section_correction(page: Page, out: Path) -> None:
    """Correct one ODI section of a recorded follow-up; the history names the section."""
    page.locator("table.schedule tr", has_text="1 month").locator("a", has_text="Correct").click()
    section = page.locator("input[data-section]").nth(2)
    section.fill(str((int(section.input_value() or 0) + 1) % 6))  # a change on each run
    page.fill("#reason", "Lifting read from the wrong row of the sheet")
    with page.expect_navigation():
        page.locator("button[type=submit]").last.click()
    history = page.locator("details.audit summary", has_text="Oswestry").nth(1)
    history.evaluate("summary => { summary.parentElement.open = true; }")
    history.scroll_into_view_if_needed()
    shoot(page, out, "score_section_history", full=False)


WIDTHS = {"phone": (360, 740), "tablet": (820, 1180), "desktop": (1366, 768)}


def widths(browser: object, base: str, out: Path) -> None:
    """The nurse's main screens at a phone's, a tablet's and a desktop's width."""
    for device, (width, height) in WIDTHS.items():
        page = browser.new_page(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
        log_in(page, base, "nurse.north@demo.invalid")
        page.goto(f"{base}/worklist")
        shoot(page, out, f"worklist_{device}", full=False)
        page.locator("table.worklist a.button", has_text="Enter").first.click()
        page.wait_for_selector("#followup-form")
        page.locator("button.statement").nth(3).click()  # a statement ticks the score
        page.locator("fieldset.sections").first.scroll_into_view_if_needed()
        shoot(page, out, f"entry_odi_{device}", full=False)
        page.goto(f"{base}/search?q=synthetic%20patient%2000")
        shoot(page, out, f"search_{device}", full=False)
        page.close()


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/login")
        shoot(page, out, "login", full=False)
        for flow in (nurse, physician, admin, coordinator):
            flow(page, base, out)
        widths(browser, base, out)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5057",
         Path(sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots"))
