"""Effect sizes equal R metafor's escalc (tests/stats/reference/effect_sizes.json, written
by make_effect_sizes.R) within 1e-4, and the published worked examples: Hedges' g of the
issue's example, Luo's and Wan's estimates from quartiles."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from clinic.stats.effect_sizes import (
    MeanSD,
    correction,
    from_quartiles,
    hedges_g,
    luo_mean,
    mean_difference,
    odds_ratio,
    risk_ratio,
    wan_mean,
    wan_sd,
)

REFERENCE = json.loads((Path(__file__).parent / "reference" / "effect_sizes.json").read_text())
TOLERANCE = 1e-4


@pytest.mark.parametrize("case", REFERENCE["continuous"], ids=lambda c: f"n{c['n1']:g}")
def test_mean_difference_and_hedges_g_equal_metafor(case):
    one = MeanSD(int(case["n1"]), case["m1"], case["sd1"])
    two = MeanSD(int(case["n2"]), case["m2"], case["sd2"])
    md, g = mean_difference(one, two), hedges_g(one, two)
    assert md.yi == pytest.approx(case["md"], abs=TOLERANCE)
    assert md.vi == pytest.approx(case["md_v"], abs=TOLERANCE)
    assert g.yi == pytest.approx(case["g"], abs=TOLERANCE)
    assert g.vi == pytest.approx(case["g_v"], abs=TOLERANCE)
    assert g.ci_low < g.yi < g.ci_high
    assert g.ci_high - g.yi == pytest.approx(1.959964 * math.sqrt(g.vi), abs=1e-6)


@pytest.mark.parametrize("case", REFERENCE["tables"],
                         ids=lambda c: f"{c['a']:g}of{c['n1']:g}-{c['c']:g}of{c['n2']:g}")
def test_risk_and_odds_ratios_equal_metafor(case):
    args = int(case["a"]), int(case["n1"]), int(case["c"]), int(case["n2"])
    rr, odds = risk_ratio(*args), odds_ratio(*args)
    assert rr.yi == pytest.approx(case["log_rr"], abs=TOLERANCE)
    assert rr.vi == pytest.approx(case["log_rr_v"], abs=TOLERANCE)
    assert odds.yi == pytest.approx(case["log_or"], abs=TOLERANCE)
    assert odds.vi == pytest.approx(case["log_or_v"], abs=TOLERANCE)
    assert rr.ci_low < rr.estimate < rr.ci_high


def test_the_reference_has_at_least_ten_studies_and_zero_cells():
    assert len(REFERENCE["continuous"]) >= 10 and len(REFERENCE["tables"]) >= 10
    assert any(0 in (t["a"], t["c"]) for t in REFERENCE["tables"])
    assert "metafor" in REFERENCE["produced_by"]


def test_the_published_examples():
    g = hedges_g(MeanSD(30, 3.1, 1.2), MeanSD(32, 4.0, 1.5))
    assert (round(g.yi, 4), round(g.vi, 4)) == (-0.6519, 0.0680)
    assert round(luo_mean(2, 4, 7, 40), 4) == 4.3549
    assert round(wan_mean(2, 4, 7), 4) == 4.3333
    assert round(wan_sd(2, 7, 40), 4) == 3.8446
    estimated = from_quartiles(2, 4, 7, 40)
    assert estimated.estimated and hedges_g(estimated, MeanSD(40, 5, 2)).estimated


def test_the_exact_correction_approaches_the_usual_approximation():
    for m in (10, 60, 400):
        assert correction(m) == pytest.approx(1 - 3 / (4 * m - 1), abs=5e-4)
    assert correction(1000) < 1


def test_the_zero_cell_correction_applies_only_to_tables_with_a_zero():
    assert risk_ratio(10, 20, 5, 20).yi == pytest.approx(math.log(2))
    assert odds_ratio(0, 10, 5, 10).yi == pytest.approx(math.log(0.5 * 5.5 / (10.5 * 5.5)))


@pytest.mark.parametrize("bad", [lambda: risk_ratio(5, 4, 1, 10), lambda: odds_ratio(1, 0, 1, 2),
                                 lambda: hedges_g(MeanSD(1, 1, 1), MeanSD(5, 1, 1)),
                                 lambda: hedges_g(MeanSD(5, 1, 0), MeanSD(5, 2, 0)),
                                 lambda: luo_mean(5, 4, 7, 10), lambda: wan_sd(7, 2, 10)])
def test_impossible_inputs_are_refused(bad):
    with pytest.raises(ValueError):
        bad()
