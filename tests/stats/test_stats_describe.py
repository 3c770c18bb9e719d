"""describe(): SPSS HAVERAGE quartiles (R quantile type 6) against R."""

import math

import numpy as np
import pandas as pd
import pytest
from stats_ref import assert_close, case_ids, load_cases, nan_list, present

from clinic.stats import describe

CASES = load_cases("describe")


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_describe_matches_r(case: dict) -> None:
    res = describe(nan_list(case["values"]))
    assert res.reason is None
    assert (res.n, res.missing) == (case["n"], case["missing"])
    for field in ("mean", "sd", "median", "q1", "q3", "min", "max"):
        assert_close(getattr(res, field), case[field])
    assert_close(res.iqr, case["q3"] - case["q1"])
    if case["missing"]:
        assert any("missing" in n for n in res.notes)


def test_pandas_and_numpy_defaults_would_fail() -> None:
    """The default (linear, R type 7) quartiles differ from HAVERAGE on these data."""
    failing = 0
    for case in CASES:
        x = present(case["values"])
        if len(x) < 4:
            continue
        q1, q3 = pd.Series(x).quantile([0.25, 0.75])
        assert np.quantile(x, 0.25) == q1  # numpy default = pandas default
        failing += not (math.isclose(q1, case["q1"]) and math.isclose(q3, case["q3"]))
    assert failing >= 4


def test_empty_and_all_missing_are_not_computable() -> None:
    for values in ([], [None, math.nan]):
        res = describe(values)
        assert res.reason == "no non-missing values"
        assert res.n == 0 and res.mean is None and res.median is None and res.sd is None
    assert describe([None, math.nan]).missing == 2


def test_single_value_has_no_sd() -> None:
    res = describe([5])
    assert res.sd is None and res.median == 5.0 and res.q1 == 5.0 and res.q3 == 5.0
    assert res.reason is None and any("n = 1" in n for n in res.notes)


def test_constant_values() -> None:
    res = describe([4, 4, 4, 4])
    assert res.sd == 0.0 and res.iqr == 0.0 and res.median == 4.0
