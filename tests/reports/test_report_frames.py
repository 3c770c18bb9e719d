"""The report's frames keep texts as numpy ``object`` columns, on both engines.

pandas 3 turns an object array of texts put into a frame into its python-backed ``str``
dtype unless told otherwise; iterating, grouping or comparing that column is many times
slower (at 200,000 patients a ``set()`` of the scores' timepoints took over a second).
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from clinic.db import get_engine
from clinic.demo.bulk import bulk_seed
from clinic.reports.data import load_study_data, no_cyclic_gc
from clinic.reports.filters import filters_from_mapping
from clinic.studies.setup import find_study

DAY = date(2026, 6, 1)
FRAMES = ("patients", "procedures", "targets", "assessments", "scores", "events",
          "screening", "randomized")


def test_no_frame_holds_a_pandas_string_column(app):
    with Session(get_engine(app)) as session:
        bulk_seed(session, 60, seed=3, today=DAY)
        session.commit()
        with no_cyclic_gc():
            data = load_study_data(session, find_study(session, "BENCH"),
                                   filters_from_mapping({"as_of": DAY.isoformat()}, DAY),
                                   "Europe/Berlin")
    assert len(data.scores) > 100 and len(data.assessments) > 100
    for name in FRAMES:
        frame = getattr(data, name)
        strings = [c for c in frame.columns if str(frame[c].dtype) in ("str", "string")]
        assert not strings, f"{name}: {strings}"
    assert len(data.rows["scores"]) == len(data.scores)
    arm = data.of_patient("scores", "arm")
    by_code = data.scores["subject"].map(data.patients.set_index("subject")["arm"])
    assert arm.equals(by_code)
    modes = data.assessments.set_index(["subject", "timepoint"])["mode"]
    visit = data.rows["score_visits"]
    assert list(data.assessments["subject"].to_numpy()[visit]) == list(data.scores["subject"])
    assert list(data.assessments["timepoint"].to_numpy()[visit]) == list(
        data.scores["timepoint"])
    assert len(modes) == len(data.assessments)
