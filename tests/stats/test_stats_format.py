"""clinic.stats.format: p-values, median (IQR), mean ± SD as the paper prints them."""

import pytest

from clinic.stats.format import (
    fmt_number,
    format_count_pct,
    format_ks_p,
    format_mean_sd,
    format_median_iqr,
    format_p,
)


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.0004, "< 0.001"), (0.00099999, "< 0.001"), (0.001, "0.001"), (0.0305, "0.031"),
     (0.2904, "0.290"), (0.9996, "1.000"), (1.0, "1.000"), (None, "n/c")],
)
def test_format_p(p: float | None, text: str) -> None:
    assert format_p(p) == text


def test_half_up_rounding_like_spss() -> None:
    assert f"{2.25:.1f}" == "2.2"  # Python: half to even on the binary value
    assert fmt_number(2.25, 1) == "2.3"
    assert fmt_number(20.45, 1) == "20.5"
    assert fmt_number(-0.04, 1) == "0.0"
    assert fmt_number(0.1 + 0.2, 2) == "0.30"


def test_median_iqr_and_mean_sd() -> None:
    assert format_median_iqr(6, 5, 8) == "6.0 (5.0–8.0)"
    assert format_median_iqr(15, 12, 20.5, decimals=2) == "15.00 (12.00–20.50)"
    assert format_median_iqr(None, 1, 2) == "n/c"
    assert format_mean_sd(51.29, 8.77) == "51.29 ± 8.77"
    assert format_mean_sd(5.0, None) == "5.00"
    assert format_count_pct(46, 100) == "46 (46.0%)"
    assert format_count_pct(0, 0) == "0"


def test_ks_p_lower_bound() -> None:
    assert format_ks_p(0.35, True) == "≥ 0.200"
    assert format_ks_p(0.2) == "≥ 0.200"
    assert format_ks_p(0.034, False) == "0.034"
    assert format_ks_p(None) == "n/c"
