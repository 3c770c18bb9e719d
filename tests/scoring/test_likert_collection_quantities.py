import pytest

from clinic.scoring.collection import CollectionMode
from clinic.scoring.exceptions import ScoreError
from clinic.scoring.likert import Satisfaction, parse_satisfaction
from clinic.scoring.quantities import validate_gabapentin, validate_nsaid_reduction, validate_ome


def test_satisfaction_levels():
    assert [(s.value, s.score, s.label) for s in Satisfaction] == [
        ("very_unsatisfied", 1, "Very unsatisfied"),
        ("unsatisfied", 2, "Unsatisfied"),
        ("satisfied", 3, "Satisfied"),
        ("very_satisfied", 4, "Very satisfied"),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Satisfaction.SATISFIED, Satisfaction.SATISFIED),
        ("very_satisfied", Satisfaction.VERY_SATISFIED),
        (1, Satisfaction.VERY_UNSATISFIED),
        (4, Satisfaction.VERY_SATISFIED),
    ],
)
def test_parse_satisfaction(value, expected):
    assert parse_satisfaction(value) is expected


@pytest.mark.parametrize("value", [0, 5, "Satisfied", "strongly_satisfied", True, 3.0, None])
def test_parse_satisfaction_rejects(value):
    with pytest.raises(ScoreError) as info:
        parse_satisfaction(value, field="satisfaction_results")
    assert info.value.field == "satisfaction_results"


def test_collection_modes():
    assert [(m.value, m.label) for m in CollectionMode] == [
        ("in_clinic", "In clinic"),
        ("phone", "Phone"),
        ("self_report", "Patient self-report"),
    ]
    assert CollectionMode("phone") is CollectionMode.PHONE


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (100, 100), (70.5, 70.5), (70.0, 70)])
def test_nsaid_reduction_accepts(value, expected):
    assert validate_nsaid_reduction(value) == expected


@pytest.mark.parametrize("value", [-1, 100.5, True, "70", float("nan")])
def test_nsaid_reduction_rejects(value):
    with pytest.raises(ScoreError) as info:
        validate_nsaid_reduction(value)
    assert info.value.field == "nsaid_reduction"


def test_gabapentin_and_ome():
    assert validate_gabapentin(0) == 0
    assert validate_gabapentin(1380) == 1380
    assert validate_ome(22.5) == 22.5
    for validator, field in ((validate_gabapentin, "gabapentin"), (validate_ome, "ome")):
        with pytest.raises(ScoreError) as info:
            validator(-0.1)
        assert info.value.field == field
        with pytest.raises(ScoreError):
            validator(float("inf"))


@pytest.mark.parametrize(("value", "says"), [
    ("999", "A satisfaction score is 1 to 4 (Very unsatisfied, Unsatisfied, Satisfied, "
            "Very satisfied), not 999."),
    ("strongly", "'strongly' is no level of satisfaction: choose Very unsatisfied, "
                 "Unsatisfied, Satisfied, Very satisfied"),
])
def test_a_refused_level_is_named_in_words(value, says):
    """Found testing as a new user would: '999' was answered with the internal codes."""
    with pytest.raises(ScoreError) as info:
        parse_satisfaction(value)
    assert says in info.value.message


def test_a_score_typed_as_text_reads_as_the_score():
    assert parse_satisfaction("3") is Satisfaction.SATISFIED
    assert parse_satisfaction(" 4 ") is Satisfaction.VERY_SATISFIED
