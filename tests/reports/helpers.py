"""Small studies for the report tests, built through the services (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
from sqlmodel import Session

from clinic.demo.protocol import DEMO_STUDY
from clinic.followup.service import measures_at, record_follow_up
from clinic.models import StudyArm, StudyTimepoint
from clinic.protocol.definition import ArmDefinition, StudyDefinition
from clinic.reports import ReportFilters, build_report
from clinic.reports.builder import Report
from tests.factories import assessments_of, make_patient, make_procedure, make_site, make_study

AS_OF = date(2026, 12, 1)  # every window of the factories' January 2026 procedures is closed
THREE_ARMS = dataclasses.replace(
    DEMO_STUDY, code="TRI", title="Three-arm test study",
    arms=(ArmDefinition("A", "Group A: fluoroscopy-guided", "fluoroscopy"),
          ArmDefinition("B", "Group B: CT-guided", "ct"),
          ArmDefinition("C", "Group C: ultrasound-guided", "ultrasound")))
GAP_STUDY = dataclasses.replace(DEMO_STUDY, code="GAP", title="Study with a gap")
SHIFT = {"A": 0, "B": 1, "C": 2}


def _value(rng: np.random.Generator, code: str, tp_index: int, arm: str) -> object:
    if code == "vas":
        return int(np.clip(7 - tp_index + SHIFT[arm] + rng.integers(-2, 3), 0, 10))
    if code == "odi":
        total = int(np.clip(18 - 2 * tp_index + 2 * SHIFT[arm] + rng.integers(-4, 5), 0, 50))
        return [min(5, max(0, total - 5 * i)) for i in range(10)]
    if code.startswith("satisfaction"):
        return int(rng.integers(2, 5))
    if code == "nsaid_reduction":
        return int(rng.integers(3, 9)) * 10
    return float(rng.choice([0.0, 0.0, 0.0, 10.0]))


def populate(session: Session, definition: StudyDefinition, patients: int, *, seed: int = 3,
             skip: frozenset[tuple[str, str]] = frozenset()) -> None:
    """Enroll, treat and follow ``patients``; ``skip`` (instrument, timepoint) is never recorded."""
    rng = np.random.default_rng(seed)
    study = make_study(session, definition)
    sites = [make_site(session, "NORTH"), make_site(session, "SOUTH")]
    order = [t.code for t in definition.timepoints]
    for i in range(patients):
        patient, enrollment = make_patient(
            session, study, site=sites[i % 2], punctures=1 + i % 5,
            age_at_enrollment=int(35 + rng.integers(0, 40)), bmi=float(22 + i % 9),
            sex="male" if i % 3 else "female",
            root_laterality={"L4": ["none", "unilateral", "bilateral"][i % 3],
                             "L5": ["unilateral", "bilateral"][i % 2]})
        arm = session.get(StudyArm, enrollment.arm_id)
        assert arm is not None
        make_procedure(session, patient, modality=arm.modality,
                       operative_time_min=float(15 + rng.integers(0, 20)))
        for assessment in assessments_of(session, patient):
            tp = session.get(StudyTimepoint, assessment.timepoint_id)
            assert tp is not None
            entries = {code: _value(rng, code, order.index(tp.code), arm.code)
                       for code in measures_at(session, assessment)
                       if (code, tp.code) not in skip}
            if entries:
                record_follow_up(session, assessment=assessment, entries=entries,
                                 mode="in_clinic", actor_id=None,  # on its day: before
                                 visit_on=assessment.target_date)  # AS_OF (a data cut)
    session.commit()


def report_of(session: Session, code: str, **filters: object) -> Report:
    return build_report(session, code, ReportFilters(as_of=AS_OF, **filters),  # type: ignore[arg-type]
                        timezone="Europe/Berlin")


def cell_texts(report: Report) -> list[tuple[str, str, str]]:
    """(table, row, text) of every non-empty cell."""
    return [(t.key, r.label, c.text) for t in report.tables for r in t.rows for c in r.cells
            if c.text]
