"""A visit's day against the patient's other records: another visit recorded that day, an
adverse event reported at the visit that began after it. Either is more often a slip (a
date typed on the wrong visit) than what happened, so the nurse confirms the day ("The
date is right"), at entry and when a correction moves it (pure queries, no screen)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, col, select

from clinic.catalog import ADVERSE_EVENT_TYPES
from clinic.models import AdverseEvent, Assessment, StudyTimepoint

CONFIRM_ON_FORM = 'tick "The date is right" and save again'


def same_day_visits(session: Session, assessment: Assessment, visit_on: date) -> list[str]:
    """The patient's other visits recorded on ``visit_on``, named by their timepoints."""
    labels = session.exec(
        select(StudyTimepoint.label)
        .join(Assessment, col(Assessment.timepoint_id) == col(StudyTimepoint.id))
        .where(Assessment.patient_id == assessment.patient_id, Assessment.id != assessment.id,
               Assessment.state == "completed", Assessment.visit_on == visit_on)
        .order_by(col(StudyTimepoint.position))).all()
    if not labels:
        return []
    one = len(labels) == 1
    return [f"Another visit of this patient ({', '.join(labels)}) is recorded on "
            f"{visit_on:%Y-%m-%d}{'' if one else ' too'}: check the date, and that this is "
            f"the right visit; if both are, {CONFIRM_ON_FORM}."]


def recorded_onsets(session: Session, assessment: Assessment,
                    visit_on: date) -> list[tuple[str, date]]:
    """The adverse events recorded as reported at this visit that began after
    ``visit_on``, as type and onset (a visit being entered has none yet: its own is
    entered with it)."""
    return [(kind, onset) for kind, onset in session.exec(
        select(AdverseEvent.event_type, AdverseEvent.onset_on).where(
            AdverseEvent.assessment_id == assessment.id, AdverseEvent.onset_on > visit_on)
        .order_by(col(AdverseEvent.onset_on))).all()]


def onsets_after(visit_on: date, reported: Sequence[tuple[str, date]]) -> list[str]:
    """The adverse events ``reported`` at a visit on ``visit_on`` (type and onset) that
    began after it (pure)."""
    return [f"The adverse event reported at this visit "
            f"({ADVERSE_EVENT_TYPES.get(kind, kind)}) began on {onset:%Y-%m-%d}, after "
            f"{visit_on:%Y-%m-%d}: check the visit's date and the onset; if both are right, "
            f"{CONFIRM_ON_FORM}." for kind, onset in reported if onset > visit_on]
