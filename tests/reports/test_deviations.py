"""The flow table counts protocol deviations: index procedures under another modality
than the arm's or without their dose, visits outside their window, outcomes not
collected. Known counts, built through the services."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from clinic.demo.protocol import DEMO_STUDY
from clinic.followup.service import record_follow_up
from clinic.models import StudyArm
from clinic.reports import ReportFilters, build_report
from tests.factories import (
    assessments_of,
    eligible_answers,
    make_patient,
    make_procedure,
    make_site,
    make_study,
)
from tests.reports.helpers import report_of


def _arm_of(session, enrollment) -> str:
    return session.get(StudyArm, enrollment.arm_id).code


def _row(flow, label: str) -> list[str]:
    row = next(r for r in flow.rows if r.label == label)
    return [c.text for c in row.cells]


def test_the_flow_table_counts_each_kind_of_deviation(session):
    study = make_study(session, dataclasses.replace(DEMO_STUDY, code="DEV"))
    site = make_site(session)
    patients = [make_patient(session, study, site=site, punctures=1) for _ in range(4)]
    arms = [_arm_of(session, e) for _, e in patients]
    other = {"A": "ct", "B": "fluoroscopy"}
    wrong, no_dose, late, declined = (p for p, _ in patients)
    make_procedure(session, wrong, modality=other[arms[0]])  # another modality than the arm's
    own = {"A": "fluoroscopy", "B": "ct"}
    dose_gap = {"fluoroscopy": {"dap_mgy_cm2": None}, "ct": {"dlp_mgy_cm": None}}
    make_procedure(session, no_dose, modality=own[arms[1]], **dose_gap[own[arms[1]]])
    make_procedure(session, late, modality=own[arms[2]])
    make_procedure(session, declined, modality=own[arms[3]])
    month = next(a for a in assessments_of(session, late) if a.target_date > date(2026, 2, 1))
    record_follow_up(session, assessment=month, entries={"vas": 4}, mode="phone",
                     actor_id=None, visit_on=month.window_close + timedelta(days=5))
    first = assessments_of(session, declined)[1]
    record_follow_up(session, assessment=first, entries={"vas": 5}, mode="phone",
                     actor_id=None, visit_on=first.target_date)
    first.missing_reason = "patient declined the ODI"
    session.add(first)
    session.commit()
    flow = report_of(session, "DEV").table("flow")
    expected = {code: [0, 0, 0, 0] for code in ("A", "B")}  # per kind of deviation
    for kind, index in enumerate((0, 1, 2, 3)):
        expected[arms[index]][kind] += 1
    labels = ("Index procedure under another modality than the arm's",
              "Index procedure without its radiation dose", "Visits outside their window",
              "Visits with an outcome not collected (reason recorded)")
    for kind, label in enumerate(labels):
        assert _row(flow, label) == [str(expected["A"][kind]), str(expected["B"][kind]), "1"], label


def test_another_deviation_confirmed_at_entry_has_a_row_where_there_is_one(session):
    """Found trying the screens as a new user would: a procedure over the study's
    steroid cap, confirmed, was found nowhere in the report. A deviation confirmed with
    a reason at entry that no other row counts has its own row (none where none: the
    reports of studies without one are as they were)."""
    study = make_study(session, dataclasses.replace(DEMO_STUDY, code="DEV2"))
    site = make_site(session)
    (plain, _), (over, enrollment) = (make_patient(session, study, site=site, punctures=1)
                                      for _ in range(2))
    own = {"A": "fluoroscopy", "B": "ct"}[_arm_of(session, enrollment)]
    make_procedure(session, plain, modality=own)
    session.commit()
    labels = [r.label for r in report_of(session, "DEV2").table("flow").rows]
    assert "Index procedure with another deviation confirmed at entry" not in labels
    make_procedure(session, over, modality=own,
                   deviation_reason="Steroid cap exceeded: physician's decision")
    session.commit()
    flow = report_of(session, "DEV2").table("flow")
    counts = _row(flow, "Index procedure with another deviation confirmed at entry")
    assert counts[-1] == "1" and sorted(counts[:2]) == ["0", "1"]


def test_repeat_procedures_confirmed_as_deviations_are_counted(session):
    """Found trying the screens as a new user would: a repeat injection over the steroid
    cap, confirmed with a reason, was counted nowhere (the rows count index procedures).
    Each such repeat procedure is counted in its own row; a report as of a day before it
    does not count it."""
    study = make_study(session, dataclasses.replace(DEMO_STUDY, code="DEV3"))
    site = make_site(session)
    patient, enrollment = make_patient(session, study, site=site, punctures=1)
    arm = _arm_of(session, enrollment)
    own = {"A": "fluoroscopy", "B": "ct"}[arm]
    make_procedure(session, patient, modality=own)
    session.commit()
    label = "Repeat procedures with a deviation confirmed at entry"
    assert label not in [r.label for r in report_of(session, "DEV3").table("flow").rows]
    for day in (2, 3):
        make_procedure(session, patient, modality=own,
                       when=datetime(2026, day, 15, 9, 30, tzinfo=UTC),
                       deviation_reason="Steroid cap exceeded: physician's decision")
    session.commit()
    counts = _row(report_of(session, "DEV3").table("flow"), label)
    assert counts == (["2", "0", "2"] if arm == "A" else ["0", "2", "2"])
    earlier = build_report(session, "DEV3", ReportFilters(as_of=date(2026, 2, 20)),
                           timezone="Europe/Berlin").table("flow")
    assert _row(earlier, label) == (["1", "0", "1"] if arm == "A" else ["0", "1", "1"])
    assert "Index procedure with another deviation confirmed at entry" not in [
        r.label for r in earlier.rows]


def test_table_4_names_the_dose_of_a_procedure_under_another_modality(session):
    """Found trying the report as a new user would: a CT-arm patient treated under
    fluoroscopy had a DAP that Table 4 did not show anywhere."""
    study = make_study(session, dataclasses.replace(DEMO_STUDY, code="DEV"))
    site = make_site(session)
    patient, enrollment = make_patient(session, study, site=site, punctures=1)
    arm = _arm_of(session, enrollment)
    other = {"A": ("ct", {"dlp_mgy_cm": 412.5, "ctdivol_mgy": 11.0}),
             "B": ("fluoroscopy", {"dap_mgy_cm2": 250.0, "fluoroscopy_time_s": 35.0})}[arm]
    make_procedure(session, patient, modality=other[0], **other[1])
    session.commit()
    notes = " ".join(report_of(session, "DEV").table("table4").notes)
    expected = {"A": "recorded Dose–length product, DLP (mGy·cm): 412.5",
                "B": "recorded Dose–area product, DAP (mGy·cm²): 250.0"}[arm]
    assert "1 procedure(s) under another modality than the arm's" in notes and expected in notes


def test_a_criterion_left_unanswered_is_no_reason_for_a_screen_failure(session):
    """Found trying the screens as a new user would: a criterion left unanswered (not
    asked once another had failed) was counted in the flow table as a reason the
    candidate was not eligible."""
    from clinic.enrollment.service import screen

    study = make_study(session, dataclasses.replace(DEMO_STUDY, code="SCR"))
    site = make_site(session)
    when = datetime(2026, 1, 5, 9, tzinfo=UTC)
    not_asked = {c.code: None for c in DEMO_STUDY.criteria}
    screen(session, study=study, site_id=site.id, actor_id=None, screened_at=when,
           answers=not_asked | {"vas_5_plus": False})  # the rest not asked
    screen(session, study=study, site_id=site.id, actor_id=None, screened_at=when,
           answers=eligible_answers() | {"pregnancy": True, "red_flags": None})
    screen(session, study=study, site_id=site.id, actor_id=None, screened_at=when,
           answers=eligible_answers() | {"red_flags": None})  # none failed: not completed
    session.commit()
    flow = report_of(session, "SCR").table("flow")
    labels = [r.label for r in flow.rows]
    assert _row(flow, "Not eligible")[-1] == "3"
    assert _row(flow, "VAS score of 5 or more")[-1] == "1"
    assert _row(flow, "Pregnancy")[-1] == "1"
    assert _row(flow, "Checklist not completed")[-1] == "1"
    assert "Red-flag symptoms such as cauda equina syndrome or persistent fever" not in labels
    assert "Adult aged 18 years or older" not in labels
