"""A visit's day against the patient's other records: another visit recorded that day, an
adverse event reported at the visit that began after it (clinic.followup.visit_dates)."""

from __future__ import annotations

from datetime import date, timedelta

from clinic.followup.service import record_follow_up
from clinic.followup.visit_dates import onsets_after, recorded_onsets, same_day_visits
from clinic.models import Patient
from clinic.safety.service import record_adverse_event


def _recorded(session, visit, day: date) -> None:
    record_follow_up(session, assessment=visit, entries={"vas": 3}, mode="phone",
                     actor_id=None, visit_on=day)


def test_another_visit_recorded_on_the_day_is_named_by_its_timepoint(session, visits):
    _baseline, day_1, week_1, month_1, *_ = visits
    day = week_1.target_date
    _recorded(session, week_1, day)
    assert same_day_visits(session, month_1, day) == [
        f"Another visit of this patient (1 week) is recorded on {day:%Y-%m-%d}: check the "
        "date, and that this is the right visit; if both are, tick \"The date is right\" "
        "and save again."]
    assert same_day_visits(session, week_1, day) == [], "not the visit itself"
    assert same_day_visits(session, month_1, day + timedelta(days=1)) == []
    assert same_day_visits(session, day_1, day_1.target_date) == [], \
        "a pending visit has no day yet"


def test_an_adverse_event_reported_at_the_visit_after_its_day_is_named(session, visits):
    week_1 = visits[2]
    day = week_1.target_date
    _recorded(session, week_1, day)
    patient = session.get(Patient, week_1.patient_id)
    record_adverse_event(session, patient=patient, event_type="hematoma",
                         onset_on=day - timedelta(days=1), severity="mild",
                         assessment_id=week_1.id)
    assert recorded_onsets(session, week_1, day) == [], "began before the visit"
    later = day - timedelta(days=3)
    assert recorded_onsets(session, week_1, later) == [("hematoma", day - timedelta(days=1))]
    [said] = onsets_after(later, [("hematoma", day - timedelta(days=1))])
    assert said.startswith(f"The adverse event reported at this visit (Hematoma) began on "
                           f"{day - timedelta(days=1):%Y-%m-%d}, after {later:%Y-%m-%d}")
    assert onsets_after(day, [("hematoma", day)]) == [], "the same day is no question"
