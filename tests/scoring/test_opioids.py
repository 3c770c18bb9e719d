from decimal import Decimal

import pytest

from clinic.scoring.exceptions import ScoreError
from clinic.scoring.opioids import (
    CONVERSIONS,
    OpioidDose,
    oral_morphine_equivalent,
    total_ome,
)


@pytest.mark.parametrize(
    ("drug", "route", "dose", "ome"),
    [
        ("oxycodone", "oral", 20, 30.0),  # CDC 2022 worked example: 20 mg oxycodone = 30 MME
        ("tramadol", "oral", 100, 20.0),
        ("hydrocodone", "oral", 20, 20.0),  # CDC 2022 worked example
        ("morphine", "oral", 10, 10.0),
        ("codeine", "oral", 60, 9.0),
        ("hydromorphone", "oral", 4, 20.0),
        ("oxymorphone", "oral", 10, 30.0),
        ("tapentadol", "oral", 100, 40.0),
        ("methadone", "oral", 10, 47.0),
        ("fentanyl", "transdermal", 25, 60.0),  # 25 mcg/h patch
        ("tramadol", "oral", 0, 0.0),
        ("tramadol", "oral", 50.5, 10.1),
    ],
)
def test_ome(drug, route, dose, ome):
    assert oral_morphine_equivalent(drug, route, dose).ome_mg_per_day == ome


def test_result_fields():
    result = oral_morphine_equivalent(" Oxycodone ", "ORAL", Decimal("15"))
    assert result.drug == "oxycodone" and result.route == "oral"
    assert result.daily_dose == 15.0
    assert result.dose_unit == "mg/day"
    assert result.factor == 1.5
    assert result.ome_mg_per_day == 22.5
    assert oral_morphine_equivalent("fentanyl", "transdermal", 12).dose_unit == "mcg/h"


def test_table_is_the_cdc_2022_table():
    factors = {drug: str(c.factor) for (drug, _route), c in CONVERSIONS.items()}
    assert factors == {
        "codeine": "0.15", "fentanyl": "2.4", "hydrocodone": "1", "hydromorphone": "5",
        "methadone": "4.7", "morphine": "1", "oxycodone": "1.5", "oxymorphone": "3",
        "tapentadol": "0.4", "tramadol": "0.2",
    }  # fmt: skip
    assert {route for _drug, route in CONVERSIONS} == {"oral", "transdermal"}
    assert CONVERSIONS[("fentanyl", "transdermal")].dose_unit == "mcg/h"


def test_unknown_opioid():
    with pytest.raises(ScoreError, match="unknown opioid 'heroin'") as info:
        oral_morphine_equivalent("heroin", "oral", 10)
    assert info.value.field == "opioid"


def test_buprenorphine_is_excluded():
    with pytest.raises(ScoreError, match="buprenorphine") as info:
        oral_morphine_equivalent("buprenorphine", "transdermal", 10)
    assert info.value.field == "opioid"


@pytest.mark.parametrize(("drug", "route"), [("oxycodone", "iv"), ("fentanyl", "oral")])
def test_route_without_factor(drug, route):
    with pytest.raises(ScoreError) as info:
        oral_morphine_equivalent(drug, route, 10)
    assert info.value.field == "route"


@pytest.mark.parametrize("dose", [-1, -0.5, float("nan"), True, "20", None])
def test_bad_dose(dose):
    with pytest.raises(ScoreError) as info:
        oral_morphine_equivalent("morphine", "oral", dose)
    assert info.value.field == "daily_dose"


def test_total_ome():
    doses = [OpioidDose("oxycodone", "oral", 20), OpioidDose("tramadol", "oral", 100)]
    assert total_ome(doses) == 50.0
    assert total_ome([]) == 0.0
    with pytest.raises(ScoreError):
        total_ome([OpioidDose("tramadol", "oral", -5)])


def test_the_ome_of_the_opioids_a_visit_lists():
    """By the names as typed (first word, case aside), by mouth; None when one cannot be
    converted (a patch, buprenorphine, a name not in the table) or none is listed."""
    from clinic.scoring.opioids import listed_ome, ome_disagrees

    assert listed_ome([("Tramadol retard", 300), ("oxycodone", 20)]) == 90.0
    assert listed_ome([("hydromorphone", 8), ("codeine", 120)]) == 58.0  # 40 + 18
    assert listed_ome([("fentanyl", 25)]) is None
    assert listed_ome([("tramadol", 100), ("buprenorphine", 10)]) is None
    assert listed_ome([]) is None
    assert not ome_disagrees(91, 90) and not ome_disagrees(94, 90)  # 1 mg, under 5 %
    assert ome_disagrees(95, 90) and ome_disagrees(2.5, 0.5)
