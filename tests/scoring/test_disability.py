from fractions import Fraction

import pytest

from clinic.scoring.disability import (
    NDI_SECTIONS,
    ODI_SECTIONS,
    NdiBand,
    OdiBand,
    ndi_band,
    odi_band,
    score_disability,
)
from clinic.scoring.exceptions import ScoreError


def test_all_sections_answered():
    result = score_disability("odi", [3, 3, 3, 3, 2, 2, 0, 0, 0, 0])
    assert result.raw_sum == 16
    assert result.answered == 10
    assert result.total_percent == 32.0
    assert result.total_exact == 32
    assert result.band is OdiBand.MODERATE
    assert result.reason is None


def test_one_missing_section_scores_over_45():
    # 16 / 45 * 100 = 35.555... -> 35.56
    result = score_disability("odi", [3, 3, 3, 3, 2, 2, None, 0, 0, 0])
    assert result.answered == 9
    assert result.raw_sum == 16
    assert result.total_exact == Fraction(320, 9)
    assert result.total_percent == 35.56
    assert result.band is OdiBand.MODERATE


def test_two_missing_sections_give_no_total_and_a_reason():
    result = score_disability("ndi", [1, None, 1, 1, 1, None, 1, 1, 1, 1])
    assert result.total_percent is None
    assert result.total_exact is None
    assert result.band is None
    assert result.answered == 8
    assert result.raw_sum == 8
    assert "2 of 10 sections unanswered" in result.reason
    assert "(personal care, concentration)" in result.reason and "concentration" in result.reason


def test_nothing_answered():
    result = score_disability("odi", [None] * 10)
    assert result.total_percent is None
    assert result.raw_sum == 0 and result.answered == 0
    assert "10 of 10" in result.reason


def test_float_trap_is_avoided():
    # 29 / 50 * 100 in floats is 57.99999999999999; the total must be 58.0.
    result = score_disability("odi", [5, 5, 5, 5, 5, 4, 0, 0, 0, 0])
    assert result.total_percent == 58.0


def test_equal_scores_tie_exactly_across_missing_patterns():
    full = score_disability("odi", [4, 4, 4, 4, 4, 0, 0, 0, 0, 0])  # 20/50
    one_missing = score_disability("odi", [4, 4, 4, 3, 3, None, 0, 0, 0, 0])  # 18/45
    assert full.total_percent == one_missing.total_percent == 40.0
    assert full.total_exact == one_missing.total_exact


@pytest.mark.parametrize(
    ("raw", "expected"), [(1, 2.22), (2, 4.44), (4, 8.89), (7, 15.56), (45, 100.0)]
)
def test_rounding_half_up_to_two_decimals_with_one_missing(raw, expected):
    sections = [min(5, max(0, raw - 5 * i)) for i in range(9)] + [None]
    assert sum(sections[:9]) == raw
    assert score_disability("odi", sections).total_percent == expected


def test_mapping_input_absent_codes_are_unanswered():
    responses = {s.code: 2 for s in ODI_SECTIONS if s.code != "sex_life"}
    result = score_disability("odi", responses)
    assert result.answered == 9
    assert result.total_exact == Fraction(1800, 45)


def test_mapping_input_unknown_section_is_refused():
    with pytest.raises(ScoreError) as info:
        score_disability("odi", {"pain_intensity": 1, "reading": 2})
    assert info.value.field == "odi.reading"


@pytest.mark.parametrize("bad", [6, -1, 2.5, 5.0001, True, "3", float("nan")])
def test_bad_section_value_names_the_section(bad):
    values = [0, 0, bad, 0, 0, 0, 0, 0, 0, 0]
    with pytest.raises(ScoreError) as info:
        score_disability("ndi", values)
    assert info.value.field == "ndi.lifting"


@pytest.mark.parametrize("values", [[1] * 9, [1] * 11, []])
def test_wrong_number_of_sections(values):
    with pytest.raises(ScoreError, match="expected 10 sections"):
        score_disability("odi", values)


def test_unknown_instrument_and_non_sequence():
    with pytest.raises(ScoreError) as info:
        score_disability("sf36", [0] * 10)
    assert info.value.field == "instrument"
    with pytest.raises(ScoreError):
        score_disability("odi", "0123401234")


def test_section_names():
    assert [s.label for s in ODI_SECTIONS] == [
        "Pain intensity", "Personal care", "Lifting", "Walking", "Sitting",
        "Standing", "Sleeping", "Sex life", "Social life", "Travelling",
    ]  # fmt: skip
    assert [s.label for s in NDI_SECTIONS] == [
        "Pain intensity", "Personal care", "Lifting", "Reading", "Headaches",
        "Concentration", "Work", "Driving", "Sleeping", "Recreation",
    ]  # fmt: skip
    assert ODI_SECTIONS[7].code == "sex_life"


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, OdiBand.MINIMAL),
        (20, OdiBand.MINIMAL),
        (Fraction(181, 9), OdiBand.MODERATE),  # 20.11 (one section missing)
        (21, OdiBand.MODERATE),
        (40, OdiBand.MODERATE),
        (Fraction(361, 9), OdiBand.SEVERE),
        (60, OdiBand.SEVERE),
        (61, OdiBand.CRIPPLED),
        (80, OdiBand.CRIPPLED),
        (Fraction(721, 9), OdiBand.BED_BOUND),
        (100, OdiBand.BED_BOUND),
    ],
)
def test_odi_bands(total, band):
    assert odi_band(total) is band


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, NdiBand.NONE),
        (8, NdiBand.NONE),
        (Fraction(80, 9), NdiBand.NONE),  # 8.89
        (10, NdiBand.MILD),
        (28, NdiBand.MILD),
        (Fraction(260, 9), NdiBand.MILD),  # 28.89
        (30, NdiBand.MODERATE),
        (48, NdiBand.MODERATE),
        (50, NdiBand.SEVERE),
        (68, NdiBand.SEVERE),
        (Fraction(620, 9), NdiBand.SEVERE),  # 68.89
        (70, NdiBand.COMPLETE),
        (100, NdiBand.COMPLETE),
    ],
)
def test_ndi_bands(total, band):
    assert ndi_band(total) is band


def _raw_to_sections(raw):
    return [min(5, max(0, raw - 5 * i)) for i in range(10)]


@pytest.mark.parametrize("raw", range(51))
def test_ndi_bands_match_vernon_mior_raw_points(raw):
    expected = (
        NdiBand.NONE if raw <= 4 else NdiBand.MILD if raw <= 14 else
        NdiBand.MODERATE if raw <= 24 else NdiBand.SEVERE if raw <= 34 else NdiBand.COMPLETE
    )  # fmt: skip
    assert score_disability("ndi", _raw_to_sections(raw)).band is expected


@pytest.mark.parametrize("raw", range(51))
def test_odi_bands_match_fairbank_percent_ranges(raw):
    percent = 2 * raw
    expected = (
        OdiBand.MINIMAL if percent <= 20 else OdiBand.MODERATE if percent <= 40 else
        OdiBand.SEVERE if percent <= 60 else OdiBand.CRIPPLED if percent <= 80 else
        OdiBand.BED_BOUND
    )  # fmt: skip
    result = score_disability("odi", _raw_to_sections(raw))
    assert result.total_percent == percent
    assert result.band is expected


@pytest.mark.parametrize("bad", [-1, 100.5, float("nan"), True])
def test_band_refuses_out_of_range(bad):
    with pytest.raises(ScoreError):
        odi_band(bad)
    with pytest.raises(ScoreError):
        ndi_band(bad)


def test_band_labels():
    assert [b.label for b in OdiBand] == [
        "Minimal disability", "Moderate disability", "Severe disability", "Crippled", "Bed-bound",
    ]  # fmt: skip
    assert [b.label for b in NdiBand] == [
        "No disability", "Mild disability", "Moderate disability", "Severe disability",
        "Complete disability",
    ]  # fmt: skip


def test_a_section_typed_as_a_whole_decimal_is_that_whole_number():
    """Found trying the screens as a new user would: "3.0" was refused as "not a whole
    number"; it is 3 (2.5 is still refused)."""
    result = score_disability("odi", [3.0, 2, 2, 2, 2, 2, 2, 2, 2, 2])
    assert (result.raw_sum, result.total_percent) == (21, 42.0)
