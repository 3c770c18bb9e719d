import pytest

from clinic.scoring.disability import DisabilityScore
from clinic.scoring.exceptions import ScoreError
from clinic.scoring.instruments import INSTRUMENTS, InstrumentKind, get_instrument, score
from clinic.scoring.likert import Satisfaction


def test_registry_codes_and_kinds():
    assert {code: i.kind for code, i in INSTRUMENTS.items()} == {
        "vas": InstrumentKind.SCALE,
        "nrs": InstrumentKind.SCALE,
        "odi": InstrumentKind.SECTIONS,
        "ndi": InstrumentKind.SECTIONS,
        "satisfaction_procedure": InstrumentKind.LIKERT,
        "satisfaction_results": InstrumentKind.LIKERT,
        "nsaid_reduction": InstrumentKind.QUANTITY,
        "ome": InstrumentKind.QUANTITY,
        "gabapentin": InstrumentKind.QUANTITY,
    }
    for code, instrument in INSTRUMENTS.items():
        assert instrument.code == code
        assert instrument.label


def test_ranges_units_sections_choices():
    assert (INSTRUMENTS["vas"].min_value, INSTRUMENTS["vas"].max_value) == (0, 10)
    assert INSTRUMENTS["odi"].unit == "%" and len(INSTRUMENTS["odi"].sections) == 10
    assert INSTRUMENTS["ndi"].sections[3].label == "Reading"
    assert INSTRUMENTS["ome"].unit == "mg/day" and INSTRUMENTS["ome"].max_value == 100_000
    assert INSTRUMENTS["satisfaction_results"].choices[0] == (
        "very_unsatisfied",
        "Very unsatisfied",
    )
    assert INSTRUMENTS["vas"].sections == () and INSTRUMENTS["vas"].choices == ()


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        INSTRUMENTS["x"] = INSTRUMENTS["vas"]  # type: ignore[index]


def test_score_dispatch():
    assert score("vas", 6) == 6
    assert score("nrs", 3.5) == 3.5
    odi = score("odi", [1] * 10)
    assert isinstance(odi, DisabilityScore) and odi.total_percent == 20.0
    assert score("ndi", [1] * 10).instrument == "ndi"
    assert score("satisfaction_procedure", 3) is Satisfaction.SATISFIED
    assert score("nsaid_reduction", 70) == 70
    assert score("gabapentin", 900) == 900
    assert score("ome", 10) == 10


@pytest.mark.parametrize(
    "code", ["vas", "nrs", "satisfaction_procedure", "satisfaction_results",
             "nsaid_reduction", "ome", "gabapentin"],
)  # fmt: skip
def test_bad_value_names_the_instrument(code):
    with pytest.raises(ScoreError) as info:
        score(code, True)
    assert info.value.field == code


def test_unknown_instrument():
    with pytest.raises(ScoreError) as info:
        get_instrument("sf36")
    assert info.value.field == "instrument"
