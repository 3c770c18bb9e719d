"""analyze_frame(): one outcome, two arms, several timepoints, as the paper's Table 3."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from clinic.stats import (
    compare_groups,
    describe,
    friedman,
    render_text,
    to_json_dict,
)
from clinic.stats.analyze import analyze_frame
from clinic.stats.format import format_mean_sd, format_median_iqr

TIMEPOINTS = ["Before", "1 month", "3 months", "6 months"]


def trial(n: int = 40, seed: int = 11) -> pd.DataFrame:
    """Synthetic VAS (0-10 integers) with drift, ties and a few missing values."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        arm = "Fluoroscopy" if i % 2 else "CT"
        base = rng.integers(5, 10)
        for j, tp in enumerate(TIMEPOINTS):
            v = float(np.clip(round(base - 1.1 * j + rng.normal(0, 1)), 0, 10))
            rows.append({"pid": f"P{i:03d}", "arm": arm, "visit": tp,
                         "vas": None if (i * 7 + j) % 23 == 0 else v})
    return pd.DataFrame(rows)


def test_report_equals_the_individual_functions() -> None:
    df = trial()
    rep = analyze_frame(df, "pid", "arm", "visit", "vas")
    assert rep.groups == ("CT", "Fluoroscopy") and rep.timepoints == tuple(TIMEPOINTS)
    assert rep.n_rows == 160 and rep.n_subjects == 40 and rep.n_missing == df.vas.isna().sum()
    for row in rep.comparisons:
        at = df[df.visit == row.timepoint]
        direct = compare_groups({g: at.loc[at.arm == g, "vas"].to_numpy() for g in rep.groups})
        assert (row.comparison.test, row.comparison.p) == (direct.test, direct.p)
    for row in rep.descriptives:
        cell = df.loc[(df.arm == row.group) & (df.visit == row.timepoint), "vas"]
        assert row.stats == describe(cell)
    assert [r.group for r in rep.descriptives[:4]] == ["CT"] * 4
    for row in rep.friedman:
        direct = friedman(df[df.arm == row.group], "pid", "visit", "vas", order=TIMEPOINTS)
        assert row.result.statistic == direct.statistic and row.result.excluded == direct.excluded
        assert row.result.excluded  # the missing values exclude subjects


def test_render_and_json() -> None:
    rep = analyze_frame(trial(), "pid", "arm", "visit", "vas")
    text = render_text(rep)
    for tp in TIMEPOINTS:
        assert tp in text
    assert "Friedman" in text and "Kendall's W" in text and "Bonferroni" in text
    data = to_json_dict(rep)
    text_json = json.dumps(data, allow_nan=False)
    assert "NaN" not in text_json
    first = data["friedman"][0]["result"]
    assert first["computable"] is True
    assert {"a", "b", "z", "p", "p_adj"} <= set(first["pairwise"][0])
    assert data["comparisons"][0]["comparison"]["test"] in {"student_t", "mann_whitney"}


def test_order_options() -> None:
    df = trial().sample(frac=1, random_state=3)
    rep = analyze_frame(df, "pid", "arm", "visit", "vas", timepoint_order=TIMEPOINTS)
    assert rep.timepoints == tuple(TIMEPOINTS)
    df["visit"] = pd.Categorical(df["visit"], categories=TIMEPOINTS)
    assert analyze_frame(df, "pid", "arm", "visit", "vas").timepoints == tuple(TIMEPOINTS)
    with pytest.raises(ValueError, match="not in the given order"):
        analyze_frame(trial(), "pid", "arm", "visit", "vas", timepoint_order=TIMEPOINTS[:3])


def test_timepoint_not_measured_in_one_arm() -> None:
    df = trial()
    df.loc[(df.arm == "CT") & (df.visit == "1 month"), "vas"] = math.nan
    rep = analyze_frame(df, "pid", "arm", "visit", "vas")
    month = next(r.comparison for r in rep.comparisons if r.timepoint == "1 month")
    assert month.reason and month.p is None
    ct = next(r.result for r in rep.friedman if r.group == "CT")
    assert ct.timepoints == ("Before", "3 months", "6 months") and ct.reason is None
    assert any("left out of Friedman" in n for n in rep.notes)
    assert "not computable" in render_text(rep)


def test_three_arms_use_kruskal_wallis() -> None:
    df = trial(60)
    df.loc[df.pid.str[-1].isin(["0", "3", "6"]), "arm"] = "Ultrasound"
    rep = analyze_frame(df, "pid", "arm", "visit", "vas")
    assert {r.comparison.test for r in rep.comparisons} == {"kruskal_wallis"}
    assert len(rep.friedman) == 3


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: pd.concat([d, d.iloc[[0]]]), "duplicate"),
        (lambda d: d.assign(arm=np.where(d.index == 0, "Fluoroscopy", d.arm)), "more than one"),
        (lambda d: d.assign(vas=d.vas.astype(object).where(d.index != 5, "n/a")), "non-numeric"),
        (lambda d: d.assign(visit=d.visit.where(d.index != 2, None)), "missing labels"),
        (lambda d: d.drop(columns="arm"), "not in data"),
    ],
)
def test_bad_data_raises_clear_errors(mutate, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analyze_frame(mutate(trial()), "pid", "arm", "visit", "vas")


def test_text_cells_show_median_iqr_and_mean_sd_for_student_t() -> None:
    rng = np.random.default_rng(5)
    rows = [{"pid": i, "arm": "AB"[i % 2], "visit": tp, "age": round(rng.normal(52, 9), 1)}
            for i in range(80) for tp in ("Before", "After")]
    rep = analyze_frame(pd.DataFrame(rows), "pid", "arm", "visit", "age")
    comp = rep.comparisons[0].comparison
    assert comp.test == "student_t"
    line = next(x for x in render_text(rep).splitlines() if x.startswith("Before"))
    d = comp.descriptives["A"]
    assert f"{format_median_iqr(d.median, d.q1, d.q3)} [n={d.n}]; " in line
    assert format_mean_sd(d.mean, d.sd) in line
