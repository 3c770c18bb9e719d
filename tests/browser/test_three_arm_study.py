"""A clinic's own three-arm study (ultrasound / fluoroscopy / CT), built in the admin
screens of a real browser, then run: enrollment through the screens, the schedule on
the worklist, a reminder through a real SMTP server, follow-up entry, and the report with
its Kruskal–Wallis test and Dunn's pairwise comparisons.

Three patients go through the screens; nine more are added with the same service
functions the screens call (as an import would), so that each arm has four patients
and the between-arm test has something to compare.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from clinic.db import get_engine
from clinic.followup.service import record_follow_up
from clinic.models import Assessment, Enrollment, Patient, Study, StudyArm, StudyTimepoint
from clinic.reminders.delivery import run_once
from tests.browser.test_flows import log_in
from tests.factories import make_patient, make_procedure
from tests.reminders.conftest import RecordingHandler, free_port

pytestmark = pytest.mark.browser
BERLIN = ZoneInfo("Europe/Berlin")
DAYS_AGO = 28  # the 1-month visit is due in two days: reminder today, window open


def _build_study(page, live) -> int:
    log_in(page, live, "admin")
    page.goto(f"{live.url}/admin/studies/new")
    for name, value in {"code": "TRI3", "title": "Ultrasound, fluoroscopy or CT guidance",
                        "design": "Randomized, three arms 1:1:1", "consent_version": "TRI3 v1",
                        "arm-0-code": "US", "arm-0-label": "Ultrasound", "arm-0-ratio": "1",
                        "arm-1-code": "FL", "arm-1-label": "Fluoroscopy", "arm-1-ratio": "1",
                        "arm-2-code": "CT", "arm-2-label": "CT", "arm-2-ratio": "1",
                        "tp-0-code": "baseline", "tp-0-label": "Baseline",
                        "tp-0-offset_days": "0", "tp-0-window_before_days": "30",
                        "tp-0-window_after_days": "0",
                        "tp-1-code": "month_1", "tp-1-label": "1 month",
                        "tp-1-offset_days": "30", "tp-1-window_before_days": "7",
                        "tp-1-window_after_days": "7",
                        "criterion-0-code": "adult", "criterion-0-text": "18 years or older",
                        "block_multipliers": "1"}.items():
        page.fill(f"#{name}", value)
    for i, modality in enumerate(("ultrasound", "fluoroscopy", "ct")):
        page.select_option(f"#arm-{i}-modality", modality)
    page.select_option("#criterion-0-kind", "inclusion")
    page.check("input[name=baseline][value='0']")
    page.check("input[name=m-vas-all]")
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_selector("#measure-grid")
    assert page.is_checked("input[name=m-vas-month_1]")
    preview = page.text_content("#schedule-preview")
    assert "1 month" in preview
    page.locator("input[name=confirm]").check()  # activation says what it does
    page.get_by_role("button", name="Activate: open enrollment").click()
    page.wait_for_load_state()
    assert "Waiting for its allocation sequence" in page.text_content("main")  # not yet
    # "Recruiting": nobody can be enrolled before the sequence is generated
    study_id = int(re.search(r"/admin/studies/(\d+)/", page.url).group(1))
    page.goto(f"{live.url}/admin/studies/{study_id}")
    page.fill("#seed", "20261203")
    page.fill("#slots", "30")
    page.get_by_role("button", name=re.compile("Generate")).click()
    assert "Generated 30 allocation slots" in page.text_content("main")
    return study_id


def _enroll(page, live, code: str, email: str) -> int:
    page.goto(f"{live.url}/studies/TRI3/enroll")
    page.check("input[name='criterion.adult'][value=yes]")
    page.fill("#study_code", code)
    page.select_option("#sex", "female")
    page.fill("#age_at_enrollment", "52")
    page.fill("#bmi", "26.5")
    page.fill("#name", f"Synthetic {code}")
    page.fill("#email", email)
    page.check("input[name=reminder_consent][value=yes]")
    enrolled = (_clinic_today() - timedelta(days=DAYS_AGO + 2)).isoformat()
    page.fill("#enrolled_on", enrolled)  # before the procedure, which is DAYS_AGO
    page.fill("#consent_on", enrolled)
    page.get_by_role("button", name=re.compile("^(Screen and )?[Ee]nroll")).click()
    page.wait_for_url(re.compile(r".*/patients/\d+$"))
    assert "allocated to" in page.text_content("main")
    return int(page.url.rsplit("/", 1)[1])


def _clinic_today() -> date:
    """The clinic's day (Europe/Berlin): from 22:00 or 23:00 UTC it is the next day there,
    and the procedures and visits are dated in the clinic's day."""
    return datetime.now(BERLIN).date()


def _record_procedure(page, live, patient_id: int, modality: str) -> None:
    when = datetime.now(BERLIN) - timedelta(days=DAYS_AGO)
    page.goto(f"{live.url}/patients/{patient_id}/procedures/new")
    page.fill("#performed_at", when.strftime("%Y-%m-%dT10:00"))
    page.select_option("#modality", modality)
    page.select_option("#procedure_type", "tfesi")
    page.fill("#punctures", "1")
    page.select_option("#target-0-level", "L4-L5")
    page.select_option("#target-0-side", "left")
    if modality == "fluoroscopy":
        page.fill("#dap_mgy_cm2", "300")
        page.fill("#fluoroscopy_time_s", "40")
    elif modality == "ct":
        page.fill("#dlp_mgy_cm", "320")
        page.fill("#ctdivol_mgy", "9")
    page.get_by_role("button", name=re.compile("^Save")).click()
    # enrolled today, dated back to 30 days ago: the procedure, 28 days ago, comes before
    # the randomization in the app, a warning to confirm
    assert "before the patient's randomization" in page.inner_text("main")
    page.check("#confirm_warnings")
    page.get_by_role("button", name=re.compile("^Save")).click()
    page.wait_for_url(f"{live.url}/patients/{patient_id}")


def _fill_in_the_rest(live, study_id: int) -> None:
    """Nine more patients, procedures in their arm's modality, and every VAS score."""
    with Session(get_engine(live.app), expire_on_commit=False) as session:
        study = session.get(Study, study_id)
        modality = {a.id: a.modality for a in session.exec(
            select(StudyArm).where(StudyArm.study_id == study_id))}
        for _ in range(9):
            patient, enrollment = make_patient(session, study, site=live.clinic.north,
                                               enrolled_on=_clinic_today() - timedelta(DAYS_AGO))
            make_procedure(session, patient, modality=modality[enrollment.arm_id],
                           when=datetime.now(UTC) - timedelta(days=DAYS_AGO))
        session.commit()
        rows = session.exec(
            select(Assessment, StudyTimepoint, Enrollment)
            .join(StudyTimepoint, StudyTimepoint.id == Assessment.timepoint_id)
            .join(Enrollment, Enrollment.patient_id == Assessment.patient_id)
            .where(Enrollment.study_id == study_id, Assessment.state == "pending")).all()
        for assessment, timepoint, enrollment in rows:
            if timepoint.code == "month_1" and enrollment.patient_id == _first_patient(session):
                continue  # the nurse enters this one in the browser
            base = 8 if timepoint.code == "baseline" else {"US": 3, "FL": 4, "CT": 5}[
                _arm_code(session, enrollment.arm_id)]
            record_follow_up(session, assessment=assessment,
                             entries={"vas": base + assessment.id % 2}, mode="in_clinic",
                             actor_id=None)
        session.commit()


def _first_patient(session: Session) -> int:
    return session.exec(select(Patient.id).where(Patient.study_code == "TRI3-001")).one()


def _arm_code(session: Session, arm_id: int) -> str:
    return session.get(StudyArm, arm_id).code


def test_a_three_arm_study_is_built_in_the_screens_and_runs_to_its_report(page, live):
    study_id = _build_study(page, live)
    page.get_by_role("button", name="Log out").click()

    log_in(page, live, "nurse")
    patients = [_enroll(page, live, f"TRI3-00{n}", f"tri3-{n}@example.invalid")
                for n in (1, 2, 3)]
    page.get_by_role("button", name="Log out").click()

    with Session(get_engine(live.app)) as session:
        arms = {e.patient_id: session.get(StudyArm, e.arm_id).modality for e in session.exec(
            select(Enrollment).where(Enrollment.patient_id.in_(patients)))}
    log_in(page, live, "physician")
    for patient_id in patients:
        _record_procedure(page, live, patient_id, arms[patient_id])
    page.get_by_role("button", name="Log out").click()
    _fill_in_the_rest(live, study_id)

    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    try:
        live.app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port,
                               MAIL_FROM="clinic@clinic.test")
        run_once(live.app)
    finally:
        controller.stop()
    reminded = handler.to("tri3-1@example.invalid")
    assert len(reminded) == 1, handler.recipients()
    visit = _clinic_today() - timedelta(days=DAYS_AGO) + timedelta(days=30)
    assert f"({visit.isoformat()})" in reminded[0].get_content()

    log_in(page, live, "nurse")
    page.goto(f"{live.url}/worklist")
    page.get_by_role("link", name="Enter follow-up 1 month for TRI3-001").click()
    page.wait_for_selector("#followup-form")
    page.select_option("#mode", "phone")
    page.fill("#vas", "3")
    page.get_by_role("button", name=re.compile("^Save")).click()
    page.wait_for_url(f"{live.url}/worklist")
    assert "Saved TRI3-001" in page.text_content("main")
    page.get_by_role("button", name="Log out").click()

    log_in(page, live, "physician")
    page.goto(f"{live.url}/studies/TRI3/report")
    report = page.text_content("main")
    assert "Kruskal–Wallis H test" in report, "the between-arm test of three arms"
    assert "between arms (Dunn, after Kruskal–Wallis)" in report
    dunn = page.locator("tr", has_text=re.compile(r"Ultrasound.*(Fluoroscopy|CT)")).count()
    assert dunn >= 1, "Dunn's pairwise rows name the arms"
    assert "Ultrasound" in report and "Fluoroscopy" in report
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("PDF")).first.click()
    with open(info.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
