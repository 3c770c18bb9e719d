"""Protocol amendments of an active study (SQLite and PostgreSQL): what may grow, what
may not be taken away, and recorded visits left as they were."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from clinic.exceptions import ValidationError
from clinic.followup.service import measures_at, record_follow_up
from clinic.models import (
    Assessment,
    AuditEvent,
    ProtocolAmendment,
    Study,
    StudyMeasure,
    StudyTimepoint,
)
from clinic.protocol.document import Measure, Timepoint
from clinic.studies.amendments import amend, amendments_of, close_enrollment
from clinic.studies.protocols import document_of
from tests.factories import assessments_of, make_patient, make_procedure, make_site, make_study

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _visit(session, patient, code) -> Assessment:
    return session.exec(select(Assessment).join(StudyTimepoint).where(
        Assessment.patient_id == patient.id, StudyTimepoint.code == code)).one()


@pytest.fixture
def running(session):
    """A study with two treated patients; one 3-month visit recorded, one pending."""
    study = make_study(session)
    site = make_site(session)
    done, _ = make_patient(session, study, site=site)
    make_procedure(session, done)
    pending, _ = make_patient(session, study, site=site, punctures=2)
    make_procedure(session, pending, modality="ct")
    record_follow_up(session, assessment=_visit(session, done, "month_3"),
                     entries={"vas": 3, "odi": [1] * 10}, mode="phone", actor_id=None,
                     collected_at=datetime(2026, 4, 15, 10, tzinfo=UTC))
    session.commit()
    return study, done, pending


def test_adding_a_measure_reaches_pending_visits_only(session, running):
    study, done, pending = running
    doc = document_of(session, study)
    doc.measures.append(Measure(instrument="ndi", timepoints=["month_3"]))
    amendment = amend(session, study=study, doc=doc, reason="Neck patients joined",
                      actor_id=None, timezone="Europe/Berlin", now=NOW)
    session.commit()
    assert amendment.number == 1 and "added Neck Disability Index at 3 months" in amendment.summary
    assert "ndi" in measures_at(session, _visit(session, pending, "month_3"))
    recorded = _visit(session, done, "month_3")
    assert recorded.state == "completed" and "ndi" not in measures_at(session, recorded)
    assert session.get(Study, study.id).protocol_version == 2
    assert session.exec(select(AuditEvent).where(
        AuditEvent.entity == "protocol_amendment")).first().reason == "Neck patients joined"


def _with_month_12(session, study) -> None:
    doc = document_of(session, study)
    doc.timepoints.append(Timepoint(code="month_12", label="12 months", offset_days=365,
                                    window_before_days=30, window_after_days=30))
    amend(session, study=study, doc=doc, reason="Longer follow-up approved",
          actor_id=None, timezone="Europe/Berlin", now=NOW)
    session.commit()


def test_adding_a_timepoint_plans_it_for_everyone_on_follow_up(session, running):
    study, done, pending = running
    _with_month_12(session, study)
    for patient in (done, pending):
        visit = _visit(session, patient, "month_12")
        assert visit.state == "pending" and (visit.target_date - visit.window_open).days == 30


def test_a_changed_window_replans_pending_visits_and_leaves_recorded_ones(session, running):
    study, done, pending = running
    before_done = _visit(session, done, "month_3").window_open
    doc = document_of(session, study)
    month_3 = next(t for t in doc.timepoints if t.code == "month_3")
    month_3.window_before_days = 20
    amend(session, study=study, doc=doc, reason="Wider window", actor_id=None,
          timezone="Europe/Berlin", now=NOW)
    session.commit()
    moved = _visit(session, pending, "month_3")
    assert (moved.target_date - moved.window_open).days == 20
    assert _visit(session, done, "month_3").window_open == before_done


def test_removing_a_timepoint_with_data_is_refused(session, running):
    study, _done, _pending = running
    doc = document_of(session, study)
    doc.timepoints = [t for t in doc.timepoints if t.code != "month_3"]
    doc.measures = [m.model_copy(update={"timepoints": [t for t in m.timepoints
                                                        if t != "month_3"]})
                    if m.timepoints else m for m in doc.measures]
    with pytest.raises(ValidationError) as refused:
        amend(session, study=study, doc=doc, reason="Shorter", actor_id=None,
              timezone="Europe/Berlin", now=NOW)
    assert "timepoints.month_3" in refused.value.errors
    session.rollback()
    assert session.exec(select(ProtocolAmendment)).all() == []


@pytest.mark.parametrize("change", ["remove an arm", "change a modality", "change strata",
                                    "remove a recorded measure"])
def test_what_an_amendment_may_not_do(session, running, change):
    study, _done, _pending = running
    doc = document_of(session, study)
    if change == "remove an arm":
        doc.arms = doc.arms[:1] + [doc.arms[1].model_copy(update={"code": "C"})]
    elif change == "change a modality":
        doc.arms[1] = doc.arms[1].model_copy(update={"modality": "ultrasound"})
    elif change == "change strata":
        doc.randomization.block_multipliers = [1]
    else:
        doc.measures = [m for m in doc.measures if m.instrument != "odi"]
    with pytest.raises(ValidationError):
        amend(session, study=study, doc=doc, reason="Try", actor_id=None,
              timezone="Europe/Berlin", now=NOW)
    session.rollback()


def test_an_amendment_that_changes_nothing_is_refused(session, running):
    study, _done, _pending = running
    with pytest.raises(ValidationError, match="Nothing was changed"):
        amend(session, study=study, doc=document_of(session, study), reason="Nothing",
              actor_id=None, timezone="Europe/Berlin", now=NOW)


def test_closing_enrollment_is_an_amendment_and_stops_enrollment(session, running):
    study, _done, _pending = running
    close_enrollment(session, study=study, reason="Sample size reached", actor_id=None, now=NOW)
    session.commit()
    assert [a.summary for a in amendments_of(session, study.id)] == ["enrollment closed"]
    with pytest.raises(ValidationError, match="closed"):
        make_patient(session, study)
    session.rollback()
    assert len(assessments_of(session, _pending)) == 6


def test_removing_a_timepoint_without_data_deletes_its_visits_with_an_audit_event_each(
        session, running):
    study, done, pending = running
    _with_month_12(session, study)
    visits = {_visit(session, p, "month_12").id for p in (done, pending)}
    assert any("month_12" in (m.added_at or {}) for m in _measures(session, study))
    doc = document_of(session, study)
    doc.timepoints = [t for t in doc.timepoints if t.code != "month_12"]
    amend(session, study=study, doc=doc, reason="Back to 6 months", actor_id=None,
          timezone="Europe/Berlin", now=NOW)
    session.commit()
    assert session.exec(select(Assessment).where(Assessment.id.in_(visits))).all() == []
    deleted = session.exec(select(AuditEvent).where(
        AuditEvent.entity == "assessment", AuditEvent.action == "delete")).all()
    assert {e.entity_id for e in deleted} == visits
    assert {e.reason for e in deleted} == {"Back to 6 months"}
    assert all("month_12" not in (m.added_at or {}) for m in _measures(session, study)), \
        "a measure keeps no date of adding at a timepoint the study no longer has"


def _measures(session, study) -> list[StudyMeasure]:
    session.expire_all()
    return list(session.exec(select(StudyMeasure).where(StudyMeasure.study_id == study.id)))


def test_the_report_lists_the_amendments(session, running):
    from clinic.reports.builder import build_report
    from clinic.reports.filters import ReportFilters

    study, _done, _pending = running
    _with_month_12(session, study)
    close_enrollment(session, study=study, reason="Sample size reached", actor_id=None, now=NOW)
    session.commit()
    report = build_report(session, study.code, ReportFilters(as_of=NOW.date()),
                          timezone="Europe/Berlin")
    assert [(a.number, a.reason) for a in report.study.amendments] == [
        (1, "Longer follow-up approved"), (2, "Sample size reached")]
    text = " ".join(report.methods)
    assert "Protocol version 3; amendments: 1 (2026-06-01): added timepoint" in text, text
    assert "2 (2026-06-01): enrollment closed — reason: Sample size reached" in text


def test_a_changed_self_report_is_summarised_in_words(session, running):
    from clinic.protocol.document import SelfReport

    study, _done, _pending = running
    doc = document_of(session, study)
    doc.self_report = SelfReport(reminder_days=[0, 5], call_after_days=None,
                                 second_factor="birth_year")
    amendment = amend(session, study=study, doc=doc, reason="Patients answer at home",
                      actor_id=None, timezone="Europe/Berlin", now=NOW)
    assert amendment.summary == (
        "patient self-report: messages on days 0, 3, 7 of the window, a call after 10 days, "
        "nothing asked first → messages on days 0, 5 of the window, no call, the year of "
        "birth asked first")


def test_an_amendment_changes_the_capped_steroid_and_names_it_in_words(session, running):
    study, _done, _pending = running
    doc = document_of(session, study)
    assert doc.capped_steroid == "methylprednisolone_acetate"  # the seed trial's
    doc.capped_steroid = "triamcinolone"
    amendment = amend(session, study=study, doc=doc, reason="Triamcinolone replaces "
                      "methylprednisolone acetate", actor_id=None, timezone="Europe/Berlin",
                      now=NOW)
    session.commit()
    assert amendment.summary == ("capped steroid: Methylprednisolone acetate → "
                                 "Triamcinolone")
    assert amendment.before["capped_steroid"] == "methylprednisolone_acetate"
    assert amendment.after["capped_steroid"] == "triamcinolone"
    assert session.get(Study, study.id).capped_steroid == "triamcinolone"
    assert document_of(session, study).capped_steroid == "triamcinolone"
    changed = session.exec(select(AuditEvent).where(AuditEvent.entity == "study",
                                                    AuditEvent.field == "capped_steroid")).one()
    assert (changed.old_value, changed.new_value) == ("methylprednisolone_acetate",
                                                      "triamcinolone")


def test_what_has_data_is_named_in_words_when_its_removal_is_refused(session, running):
    """Found testing as a new user would: "Timepoint month_3 has recorded visits",
    "has values recorded at month_3": codes where the builder shows labels."""
    study, _done, _pending = running
    doc = document_of(session, study)
    three = next(t for t in doc.timepoints if t.code == "month_3")
    doc.timepoints = [t for t in doc.timepoints if t.code != "month_3"]
    doc.measures = [m.model_copy(update={"timepoints": [
        tp for tp in (m.timepoints or [t.code for t in doc.timepoints]) if tp != "month_3"]})
        for m in doc.measures]
    with pytest.raises(ValidationError) as refused:
        amend(session, study=study, doc=doc, reason="Drop the 3-month visit", actor_id=None,
              timezone="Europe/Berlin", now=NOW)
    messages = " ".join(refused.value.errors.values())
    assert f"Timepoint {three.label} has recorded visits" in messages, messages
    assert "month_3" not in messages, messages


def test_an_active_randomized_study_turned_registry_is_refused_for_its_design(session,
                                                                             running):
    """Found testing as a new user would: the refusal spoke of the strata and blocks."""
    study, _done, _pending = running
    doc = document_of(session, study)
    doc = doc.model_copy(update={"design_type": "registry", "randomization": None})
    with pytest.raises(ValidationError) as refused:
        amend(session, study=study, doc=doc, reason="Make it a registry", actor_id=None,
              timezone="Europe/Berlin", now=NOW)
    errors = refused.value.errors
    assert errors.get("design_type") == "The design type cannot change once patients exist."
    assert "randomization" not in errors, errors


def test_a_timepoint_renamed_and_moved_says_both(session, running):
    """Found testing as a new user would: a new label with a new window was summed up
    by the window alone, so the trial's methods never said the timepoint was renamed."""
    study, _, _ = running
    doc = document_of(session, study)
    month_6 = next(t for t in doc.timepoints if t.code == "month_6")
    month_6.label = "Half a year"
    month_6.window_after_days += 7
    amendment = amend(session, study=study, doc=doc, reason="Wider window", actor_id=None,
                      timezone="Europe/Berlin", now=NOW)
    assert "Half a year: day" in amendment.summary
    assert "timepoint 6 months renamed “Half a year”" in amendment.summary
