"""Recording follow-up scores: all-or-nothing, validated field by field."""

from __future__ import annotations

import pytest
from sqlmodel import select

from clinic.exceptions import ValidationError
from clinic.followup.service import mark_not_done, record_follow_up
from clinic.models import Assessment, Score, ScoreSection


def test_scores_are_stored_with_sections_mode_and_collector(session, visits):
    baseline = visits[0]
    record_follow_up(session, assessment=baseline, actor_id=None, mode="phone",
                     entries={"vas": 7, "odi": [3, 2, 4, 3, 1, 2, 3, None, 2, 4], "ome": 10})
    session.commit()
    odi = session.exec(select(Score).where(Score.instrument == "odi")).one()
    assert (odi.raw_sum, odi.answered, odi.value, odi.mode) == (24, 9, 53.33, "phone")
    sections = session.exec(select(ScoreSection).where(ScoreSection.score_id == odi.id)).all()
    assert len(sections) == 9
    assert baseline.state == "completed" and baseline.mode == "phone"


def test_bad_input_is_refused_field_by_field_and_nothing_is_stored(session, visits):
    baseline = visits[0]
    with pytest.raises(ValidationError) as refused:
        record_follow_up(session, assessment=baseline, mode="in_clinic", actor_id=None,
                         entries={"vas": 11, "odi": [3, 2, 6, 3, 1, 2, 3, 1, 2, 4]})
    assert set(refused.value.errors) == {"vas", "odi.lifting"}
    session.rollback()
    assert session.exec(select(Score)).all() == []
    assert session.get(Assessment, baseline.id).state == "pending"


def test_two_missing_odi_sections_give_no_total_and_say_why(session, visits):
    record_follow_up(session, assessment=visits[0], mode="in_clinic", actor_id=None,
                     entries={"odi": [3, None, 4, 3, None, 2, 3, 1, 2, 4]})
    odi = session.exec(select(Score).where(Score.instrument == "odi")).one()
    assert odi.value is None and "2 of 10 sections unanswered" in odi.not_computable_reason


def test_measures_the_study_does_not_collect_there_are_refused(session, visits):
    day_1 = visits[1]  # the demo protocol asks only VAS at 1 day
    with pytest.raises(ValidationError) as refused:
        record_follow_up(session, assessment=day_1, mode="phone", actor_id=None,
                         entries={"vas": 4, "odi": [1] * 10})
    assert list(refused.value.errors) == ["odi"]


def test_unknown_collection_mode_and_empty_entry_are_refused(session, visits):
    with pytest.raises(ValidationError) as refused:
        record_follow_up(session, assessment=visits[0], mode="fax", actor_id=None,
                         entries={"vas": 4})
    assert refused.value.errors["mode"] == ("Choose how it was collected: in clinic, phone or "
                                            "patient self-report.")  # the form's words only
    with pytest.raises(ValidationError, match="at least one score"):
        record_follow_up(session, assessment=visits[0], mode="phone", actor_id=None,
                         entries={"vas": ""})


def test_not_done_needs_a_reason_and_cannot_follow_a_recorded_visit(session, visits):
    with pytest.raises(ValidationError):
        mark_not_done(session, assessment=visits[2], reason="  ", actor_id=None)
    mark_not_done(session, assessment=visits[2], reason="In hospital elsewhere", actor_id=None)
    with pytest.raises(ValidationError):
        record_follow_up(session, assessment=visits[2], mode="phone", actor_id=None,
                         entries={"vas": 3})
