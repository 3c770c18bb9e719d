"""The report's frames keep texts as numpy ``object`` columns, on both engines.

pandas 3 turns an object array of texts put into a frame into its python-backed ``str``
dtype unless told otherwise; iterating, grouping or comparing that column is many times
slower (at 200,000 patients a ``set()`` of the scores' timepoints took over a second).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pandas as pd
import pytest
from sqlmodel import Session

from clinic.db import get_engine
from clinic.demo.bulk import bulk_seed
from clinic.reports.data import load_study_data, no_cyclic_gc
from clinic.reports.filters import filters_from_mapping
from clinic.studies.setup import find_study

DAY = date(2026, 6, 1)
FRAMES = ("patients", "procedures", "targets", "assessments", "scores", "events",
          "screening", "randomized")


def _seeded(app, patients: int, seed: int):  # type: ignore[no-untyped-def]
    """The report data of a SYNTHETIC BENCH study of ``patients``, as of DAY."""
    with Session(get_engine(app)) as session:
        bulk_seed(session, patients, seed=seed, today=DAY)
        session.commit()
        with no_cyclic_gc():
            return load_study_data(session, find_study(session, "BENCH"),
                                   filters_from_mapping({"as_of": DAY.isoformat()}, DAY),
                                   "Europe/Berlin")


def test_no_frame_holds_a_pandas_string_column(app):
    data = _seeded(app, 60, 3)
    assert len(data.scores) > 100 and len(data.assessments) > 100
    for name in FRAMES:
        frame = getattr(data, name)
        strings = [c for c in frame.columns if str(frame[c].dtype) in ("str", "string")]
        assert not strings, f"{name}: {strings}"
    assert len(data.rows["scores"]) == len(data.scores)
    arm = data.of_patient("scores", "arm")
    by_code = data.scores["subject"].map(data.patients.set_index("subject")["arm"])
    assert arm.equals(by_code)
    by_subject = data.procedures["subject"].map(data.patients.set_index("subject")["arm"])
    pd.testing.assert_series_equal(data.procedure_arms(), by_subject)
    modes = data.assessments.set_index(["subject", "timepoint"])["mode"]
    visit = data.rows["score_visits"]
    assert list(data.assessments["subject"].to_numpy()[visit]) == list(data.scores["subject"])
    assert list(data.assessments["timepoint"].to_numpy()[visit]) == list(
        data.scores["timepoint"])
    assert len(modes) == len(data.assessments)


def test_a_disability_score_not_computable_has_no_value_in_the_report(session):
    """Found testing as a new user would: an NDI with two sections unanswered was stored
    without a value ('not computable'), and the report made one from its raw sum and the
    sections answered, counting the patient in Table 3 and the Friedman test."""
    from clinic.followup.service import measures_at, record_follow_up
    from tests.factories import assessments_of, make_patient, make_procedure, make_study

    study = make_study(session)
    patient, _ = make_patient(session, study)
    make_procedure(session, patient)
    visits = [v for v in assessments_of(session, patient) if "odi" in measures_at(session, v)]
    record_follow_up(session, assessment=visits[0], mode="phone", actor_id=None,
                     entries={"odi": [3, 3, 3, 3, 3, 3, 3, 3, None, None]},
                     visit_on=visits[0].target_date)  # (before the report's DAY)
    record_follow_up(session, assessment=visits[1], mode="phone", actor_id=None,
                     entries={"odi": [3, 3, 3, 3, 3, 3, 3, 3, 2, None]},
                     visit_on=visits[1].target_date)
    session.commit()
    data = load_study_data(session, study, filters_from_mapping({}, DAY), "Europe/Berlin")
    odi = data.scores[data.scores["instrument"] == "odi"].reset_index(drop=True)
    assert len(odi) == 2 and odi["raw_sum"].tolist() == [24, 26]
    assert odi["value"].isna().tolist() == [True, False]
    assert odi["value"][1] == 26 * 20.0 / 9  # the exact value the ranks use


def test_a_report_as_of_a_past_day_reads_the_visits_as_they_stood_then(app):
    """Found trying the report as a new user would: a report "as of" a past day counted
    as completed (and tabulated the scores of) visits recorded after that day."""
    from sqlmodel import select

    from clinic.demo.protocol import DEMO_STUDY
    from clinic.models import Assessment
    from tests.reports.helpers import AS_OF, populate

    with Session(get_engine(app)) as session:
        populate(session, DEMO_STUDY, 12)  # visits recorded on their target days
        days = sorted(d for d in session.exec(select(Assessment.visit_on)) if d)
        cut = days[len(days) // 2]  # half of the recorded visits came after it
        later = {(a.patient_id, a.id) for a in session.exec(
            select(Assessment).where(Assessment.visit_on > cut))}
        study = find_study(session, DEMO_STUDY.code)
        now = load_study_data(session, study, filters_from_mapping({}, AS_OF), "UTC")
        then = load_study_data(session, study,
                               filters_from_mapping({"as_of": cut.isoformat()}, AS_OF), "UTC")
    assert later
    done_now = (now.assessments["state"] == "completed").sum()
    done_then = (then.assessments["state"] == "completed").sum()
    assert done_then == done_now - len(later)
    assert (then.assessments["status"] == "completed").sum() == done_then
    assert then.assessments["visit_on"].dropna().max() <= cut
    assert len(then.scores) < len(now.scores)
    recorded = then.assessments.loc[then.assessments["state"] == "completed",
                                    ["subject", "timepoint"]]
    keys = set(map(tuple, recorded.to_numpy()))
    assert set(map(tuple, then.scores[["subject", "timepoint"]].to_numpy())) <= keys
    assert any(f"Data cut-off {cut.isoformat()}: {len(later)} visits held after it" in note
               for note in then.exclusions)
    assert not any("Data cut-off" in note for note in now.exclusions)


def test_a_report_as_of_a_past_day_leaves_out_what_came_after_it(app):
    """Found trying the report as a new user would: as of a day before most enrollments,
    the report still counted every patient randomized, every procedure done, every
    complication and screening, and a later withdrawal."""
    from datetime import timedelta

    from sqlmodel import col, select

    from clinic.demo.protocol import DEMO_STUDY
    from clinic.models import AdverseEvent, Enrollment, Procedure, Screening
    from tests.reports.helpers import AS_OF, populate

    with Session(get_engine(app)) as session:
        populate(session, DEMO_STUDY, 8)
        enrolled = list(session.exec(select(Enrollment).order_by(col(Enrollment.id))))
        first, *rest = [e.patient_id for e in enrolled]
        cut = enrolled[0].enrolled_on + timedelta(days=1)
        for e in session.exec(select(Enrollment).where(col(Enrollment.patient_id).in_(rest))):
            e.enrolled_on = cut + timedelta(days=1)  # the others enrolled after the cut
        withdrawn = enrolled[0]
        withdrawn.status, withdrawn.withdrawal_reason = "withdrawn", "moved away"
        withdrawn.withdrawn_at = datetime.combine(cut + timedelta(days=3), time(12), UTC)
        proc = session.exec(select(Procedure).where(Procedure.patient_id == first)).one()
        proc.performed_at = datetime.combine(cut + timedelta(days=2), time(10), UTC)
        session.add(AdverseEvent(patient_id=first, event_type="hematoma", severity="mild",
                                 onset_on=cut + timedelta(days=2)))
        session.add(Screening(study_id=withdrawn.study_id, site_id=1, is_eligible=False,
                              screened_at=datetime.combine(cut + timedelta(days=1), time(9),
                                                           UTC)))
        session.commit()
        study = find_study(session, DEMO_STUDY.code)
        now = load_study_data(session, study, filters_from_mapping({}, AS_OF), "UTC")
        then = load_study_data(session, study,
                               filters_from_mapping({"as_of": cut.isoformat()}, AS_OF), "UTC")
    assert len(now.patients) == 8 and len(then.patients) == 1 == len(then.randomized)
    assert then.patients["status"].tolist() == ["enrolled"]  # withdrawn after the cut
    assert now.patients["status"].tolist().count("withdrawn") == 1
    assert len(then.procedures) == 0 and len(now.procedures) == 8
    assert len(then.events) == 0 and len(now.events) == 1
    assert len(then.screening) == len(now.screening) - 1


@pytest.mark.parametrize("column, keys", [
    (pd.Series(["a", "b", None, "c", "a"], dtype=object), ["a", "b"]),
    (pd.Series(["a", "b", None, "c", "a"], dtype="str"), ["b", "c", "a"]),
    (pd.Series([True, False, True]), [True, False]),
    (pd.Series([1.0, 2.0, float("nan"), 3.0]), [1, 2]),  # floats found by equal integers
    (pd.Series([1, True, 0, 2], dtype=object), [True, 0]),  # 1 == True, as a dict has it
    (pd.Series(["x", "y", "x"], dtype="category"), ["y"]),
    (pd.Series([None, "a"], dtype=object), [None, "a"]),  # a missing value as a key
    (pd.Series([], dtype=object), ["a"]),
])
def test_positions_in_are_what_the_map_gave(column, keys):
    """count_table's lookup, once per distinct value, against the Series.map it replaced."""
    from clinic.reports.cells import positions_in

    expected = column.map({k: i for i, k in enumerate(keys)}).fillna(-1).to_numpy(
        dtype="int64")
    assert positions_in(column, keys).tolist() == expected.tolist()


def test_friedman_in_the_report_equals_the_test_on_subject_codes(app):
    """The report's Friedman tests tell subjects apart by their row (integers); the
    result, the subjects excluded by their code included, is the one on the codes."""
    from clinic.reports.cells import Arms
    from clinic.reports.outcomes import analyse_outcome, long_scores
    from clinic.stats import friedman

    data = _seeded(app, 80, 4)
    arms = Arms.of(data)
    analysis = analyse_outcome(data, arms, "vas")
    scores = long_scores(data, "vas")
    known = scores[scores["value"].notna()]
    for arm in arms.codes:
        mine = known[known["arm"] == arm]
        present = [t for t in analysis.timepoints if t in set(mine["timepoint"])]
        expected = friedman(mine, subject="subject", timepoint="timepoint", value="value",
                            order=present)
        got = analysis.friedman[arm]
        for name in ("statistic", "df", "p", "n", "k", "excluded", "missing_values",
                     "kendall_w", "timepoints", "mean_ranks"):
            assert getattr(got, name) == getattr(expected, name), name
        pd.testing.assert_frame_equal(got.pairwise, expected.pairwise)
        assert expected.excluded and all(isinstance(s, str) for s in expected.excluded)
