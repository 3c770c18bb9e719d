"""The data version's row hashes, computed once per distinct value, equal pandas' hash of
every cell written as text (the definition the data version was first computed with)."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.reports.dataset import _row_hashes

CELLS = st.one_of(st.none(), st.just(float("nan")), st.booleans(), st.just(-0.0),
                  st.integers(-3, 3), st.floats(-2, 2, allow_nan=False).map(lambda x: round(x, 1)),
                  st.sampled_from(["A", "B-001", "", "None", "nan", "1", "True"]),
                  st.dates(date(2026, 1, 1), date(2026, 1, 5)))


def by_definition(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame.astype(object).astype(str),
                                      index=False).to_numpy(dtype="<u8")


@settings(max_examples=600, deadline=None, database=None, derandomize=True)
@given(st.lists(st.tuples(CELLS, CELLS, st.integers(0, 9), st.floats(0, 10) | st.none()),
                max_size=30))
def test_row_hashes_equal_the_definition_for_any_mix_of_cells(rows):
    frame = pd.DataFrame(rows, columns=["mixed", "other", "number", "value"])
    frame["mixed"] = frame["mixed"].astype(object)
    frame["other"] = frame["other"].astype(object)
    assert np.array_equal(_row_hashes(frame), by_definition(frame))


def test_values_equal_to_factorize_but_not_as_text_keep_their_own_text():
    for column in ([None, None, False, 0], [0, 0.0, False], [1, True, 1.0], [0.0, -0.0],
                   [date(2026, 1, 1), "2026-01-01"]):
        frame = pd.DataFrame({"mixed": pd.Series(column, dtype=object)})
        assert np.array_equal(_row_hashes(frame), by_definition(frame)), column
    floats = pd.DataFrame({"x": np.array([0.0, -0.0, 1.5])})
    assert np.array_equal(_row_hashes(floats), by_definition(floats))


def test_typed_columns_hash_as_their_text():
    frame = pd.DataFrame({"n": np.arange(6, dtype="int64"),
                          "x": [0.5, np.nan, 1.0, 1.0, 2.25, np.nan],
                          "flag": [True, False, True, True, False, False],
                          "text": pd.Series(["a", None, "b", "a", None, "c"], dtype=object)})
    assert np.array_equal(_row_hashes(frame), by_definition(frame))
    assert len(_row_hashes(frame.iloc[:0])) == 0


def test_identities_are_the_objects_ids_also_for_a_strided_column():
    from clinic.reports.data import identities

    values = np.array(["a", "b", None, 0, False, 1.5, date(2026, 1, 1)] * 3, dtype=object)
    for cells in (values, values[::2], values[::-1]):
        assert list(identities(cells).astype(np.intp)) == [id(v) for v in cells]


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(st.lists(st.sampled_from(["b", "a", "", "B-2", "B-10", None, "ä"]), max_size=40),
       st.booleans())
def test_text_ranks_sort_as_pandas_sorts_shared_or_not(texts, shared):
    from clinic.reports.data import text_ranks

    cells = np.array([t if shared or t is None else "".join(list(t)) for t in texts],
                     dtype=object)
    order = np.lexsort([text_ranks(cells)]) if len(cells) else np.array([], dtype=int)
    expected = pd.Series(cells, dtype=object).sort_values(kind="stable").index.to_numpy()
    assert list(order) == list(expected)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(["vas", "odi", None]),
                          st.sampled_from(["baseline", "week_1", "month_1"])), max_size=40))
def test_score_cells_group_as_groupby_does(pairs):
    from clinic.reports.data import _cells

    frame = pd.DataFrame({"instrument": pd.Series([p[0] for p in pairs], dtype=object),
                          "timepoint": pd.Series([p[1] for p in pairs], dtype=object)})
    expected = frame.groupby(["instrument", "timepoint"], sort=False).indices
    got = _cells(frame, "instrument", "timepoint")
    assert set(got) == set(expected)
    for key, rows in expected.items():
        assert list(got[key]) == list(rows)


def test_hashes_shared_between_frames_give_the_version_hashed_frame_by_frame(session):
    """data_version hashes each patient's code once for all frames (TextHashes): the
    digest is the one of every frame hashed on its own."""
    import hashlib

    from clinic.reports.data import load_study_data
    from clinic.reports.dataset import data_version
    from clinic.reports.filters import filters_from_mapping
    from clinic.studies.setup import find_study
    from tests.reports.helpers import AS_OF, GAP_STUDY, populate

    populate(session, GAP_STUDY, 8)
    data = load_study_data(session, find_study(session, "GAP"),
                           filters_from_mapping({}, AS_OF), "Europe/Berlin")
    names = ["patients", "procedures", "targets", "injectates", "assessments", "scores",
             "events", "screening", "randomized"]

    def by_frames(data, names):
        digest = hashlib.sha256()
        for name in names:
            frame = getattr(data, name)
            digest.update(f"{name}:{','.join(frame.columns)}:{len(frame)}".encode())
            digest.update(by_definition(frame).tobytes())
        return digest.hexdigest()

    assert len(data.injectates)
    assert data_version(data) == by_frames(data, names)
    # a study with no injectates keeps the version its reports had before Table 2
    # listed them: the empty frame is not hashed
    without = dataclasses.replace(data, injectates=data.injectates.iloc[:0])
    assert data_version(without) == by_frames(without, [n for n in names if n != "injectates"])


def test_the_version_hashed_a_few_rows_at_a_time_is_the_same(session, monkeypatch):
    """Rows hash on their own (the property test above holds any rows to the
    definition): chunks of 3 rows and of 1, whose columns' distinct values differ from
    chunk to chunk, give the digest of whole frames."""
    from clinic.reports import dataset
    from clinic.reports.data import load_study_data
    from clinic.reports.filters import filters_from_mapping
    from clinic.studies.setup import find_study
    from tests.reports.helpers import AS_OF, GAP_STUDY, populate

    populate(session, GAP_STUDY, 8)
    data = load_study_data(session, find_study(session, "GAP"),
                           filters_from_mapping({}, AS_OF), "Europe/Berlin")
    whole = dataset.data_version(data)
    monkeypatch.setattr(dataset, "VERSION_CHUNK_ROWS", 3)
    assert dataset.data_version(data) == whole
    monkeypatch.setattr(dataset, "VERSION_CHUNK_ROWS", 1)
    assert dataset.data_version(data) == whole


def test_a_large_studys_version_hashed_beside_the_tables_is_the_same(session, monkeypatch):
    from clinic.reports import builder
    from clinic.reports.data import load_study_data
    from clinic.reports.filters import filters_from_mapping
    from clinic.studies.setup import find_study
    from tests.reports.helpers import AS_OF, GAP_STUDY, populate

    populate(session, GAP_STUDY, 8)
    data = load_study_data(session, find_study(session, "GAP"),
                           filters_from_mapping({}, AS_OF), "Europe/Berlin")
    inline = builder.compute_report(data)
    monkeypatch.setattr(builder, "VERSION_BESIDE_ROWS", 0)  # every study is "large"
    beside = builder.compute_report(data)
    assert beside.stamp.data_version == inline.stamp.data_version
    assert beside.tables_csv() == inline.tables_csv()
