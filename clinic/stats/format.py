"""Formatting of statistics as the paper (and SPSS) print them.

Numbers are rounded half away from zero on their shortest decimal
representation, as SPSS displays them (Python's ``format`` rounds the binary
value half-to-even, so 2.25 would print as "2.2" instead of SPSS's "2.3").
Quartiles from HAVERAGE often end in .25 / .75, so this matters.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

NOT_COMPUTABLE = "n/c"
"""Printed for a statistic that could not be computed (see the result's ``reason``)."""

EN_DASH = "\u2013"


def fmt_number(value: float | None, decimals: int = 1, *, missing: str = NOT_COMPUTABLE) -> str:
    """``fmt_number(2.25, 1) == "2.3"``; None → ``missing``."""
    if value is None:
        return missing
    quantum = Decimal(1).scaleb(-decimals)
    text = str(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))
    return "0" + text[2:] if text.startswith("-0") and Decimal(text) == 0 else text


def format_p(p: float | None, *, decimals: int = 3, missing: str = NOT_COMPUTABLE) -> str:
    """p as the paper prints it: "< 0.001" below 0.001, otherwise three decimals."""
    if p is None:
        return missing
    floor = 10.0**-decimals
    if p < floor:
        return f"< {fmt_number(floor, decimals)}"
    return fmt_number(p, decimals)


def format_ks_p(
    p: float | None, at_least_0_2: bool | None = None, *, missing: str = NOT_COMPUTABLE
) -> str:
    """KS-Lilliefors p; SPSS prints p >= 0.2 as a lower bound: "≥ 0.200"."""
    if p is None:
        return missing
    if at_least_0_2 or (at_least_0_2 is None and p >= 0.2):
        return "\u2265 0.200"
    return format_p(p)


def format_p_phrase(p: float | None, at_least_0_2: bool = False) -> str:
    """The p-value after "p" in running text: "< 0.001", "= 0.034", "≥ 0.200"."""
    if p is None:
        return f"= {NOT_COMPUTABLE}"
    if at_least_0_2:
        return "\u2265 0.200"
    text = format_p(p)
    return text if text.startswith("<") else f"= {text}"


def format_median_iqr(
    median: float | None,
    q1: float | None,
    q3: float | None,
    decimals: int = 1,
    *,
    missing: str = NOT_COMPUTABLE,
) -> str:
    """``"6.0 (5.0–8.0)"``: median (Q1–Q3)."""
    if median is None or q1 is None or q3 is None:
        return missing
    parts = (fmt_number(v, decimals) for v in (median, q1, q3))
    med, lo, hi = parts
    return f"{med} ({lo}{EN_DASH}{hi})"


def format_mean_sd(
    mean: float | None, sd: float | None, decimals: int = 2, *, missing: str = NOT_COMPUTABLE
) -> str:
    """``"51.29 ± 8.77"``; without an SD (n = 1) only the mean is printed."""
    if mean is None:
        return missing
    if sd is None:
        return fmt_number(mean, decimals)
    return f"{fmt_number(mean, decimals)} \u00b1 {fmt_number(sd, decimals)}"


def format_count_pct(count: int, total: int, decimals: int = 1) -> str:
    """``"46 (46.0%)"``; a zero total prints the count alone."""
    if total == 0:
        return str(count)
    return f"{count} ({fmt_number(100.0 * count / total, decimals)}%)"


def format_statistic(value: float | None, decimals: int = 3) -> str:
    """A test statistic with a fixed number of decimals (SPSS shows three)."""
    return fmt_number(value, decimals)
