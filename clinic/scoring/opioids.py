"""Oral morphine equivalents (OME, a.k.a. morphine milligram equivalents, MME).

Conversion factors: Dowell D, Ragan KR, Jones CM, Baldwin GT, Chou R. CDC
Clinical Practice Guideline for Prescribing Opioids for Pain -- United States,
2022. MMWR Recomm Rep 2022;71(No. RR-3):1-95, Table "Morphine milligram
equivalent doses for commonly prescribed opioids for pain management":

    codeine 0.15, fentanyl transdermal (mcg/h) 2.4, hydrocodone 1, hydromorphone 5,
    methadone 4.7, morphine 1, oxycodone 1.5, oxymorphone 3, tapentadol 0.4,
    tramadol 0.2

"Multiply the dose for each opioid by the conversion factor"; all doses are
mg/day except transdermal fentanyl (mcg/h). The 2022 table uses a single
methadone factor (4.7), unlike the dose-dependent factors of the 2016 guideline,
and tramadol 0.2 (0.1 in 2016). Buprenorphine is not in the table (partial
mu-agonist) and is refused here. The factors are for estimating total opioid
exposure, NOT for converting a patient from one opioid to another.

Except fentanyl (transdermal), every factor applies to the oral route only; any
other drug/route combination is refused rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from clinic.scoring._numbers import Number, check_range, to_decimal
from clinic.scoring.analgesics import drug_key, drug_words
from clinic.scoring.exceptions import ScoreError

SOURCE = "CDC Clinical Practice Guideline for Prescribing Opioids for Pain, 2022 (MMWR RR-3)"
EXCLUDED = {"buprenorphine": "buprenorphine has no MME conversion factor in the CDC 2022 table"}


@dataclass(frozen=True)
class Conversion:
    drug: str
    route: str
    dose_unit: str
    factor: Decimal


def _c(drug: str, factor: str, route: str = "oral", unit: str = "mg/day") -> Conversion:
    return Conversion(drug, route, unit, Decimal(factor))


CONVERSIONS: dict[tuple[str, str], Conversion] = {
    (c.drug, c.route): c
    for c in (
        _c("codeine", "0.15"),
        _c("fentanyl", "2.4", route="transdermal", unit="mcg/h"),
        _c("hydrocodone", "1"),
        _c("hydromorphone", "5"),
        _c("methadone", "4.7"),
        _c("morphine", "1"),
        _c("oxycodone", "1.5"),
        _c("oxymorphone", "3"),
        _c("tapentadol", "0.4"),
        _c("tramadol", "0.2"),
    )
}
OPIOIDS: frozenset[str] = frozenset(drug for drug, _route in CONVERSIONS)
# the class of each analgesic the app knows by name (its label maxima and the OME table)
DRUG_CLASSES: dict[str, str] = {
    **dict.fromkeys(("tramadol", "tapentadol", "codeine", *OPIOIDS), "opioid"),
    **dict.fromkeys(("ibuprofen", "naproxen", "diclofenac", "celecoxib", "meloxicam",
                     "ketorolac", "etoricoxib"), "nsaid"),
    **dict.fromkeys(("gabapentin", "pregabalin"), "gabapentinoid"),
}


def classes_of(drug: str | None) -> frozenset[str]:
    """The analgesic classes of the drugs a name names, brands read as their drugs: one
    for "Lyrica", two for a combination ("ibuprofen/codeine"), none for a name the app
    does not know."""
    return frozenset(DRUG_CLASSES[w] for w in drug_words(drug) if w in DRUG_CLASSES)


def class_of(drug: str | None) -> str | None:
    """The analgesic class of a drug the app knows by name (a brand read as its drug:
    "Lyrica" is a gabapentinoid), else None."""
    return DRUG_CLASSES.get(drug_key(drug, DRUG_CLASSES.keys()))


@dataclass(frozen=True)
class OpioidDose:
    drug: str
    route: str
    daily_dose: Number


@dataclass(frozen=True)
class OmeResult:
    drug: str
    route: str
    daily_dose: float
    dose_unit: str
    factor: float
    ome_mg_per_day: float


def find_conversion(drug: str, route: str = "oral") -> Conversion:
    """Conversion for ``drug`` by ``route``; ScoreError for unknown/excluded ones."""
    key = (str(drug).strip().lower(), str(route).strip().lower())
    if key[0] in EXCLUDED:
        raise ScoreError("opioid", EXCLUDED[key[0]])
    if key[0] not in OPIOIDS:
        raise ScoreError("opioid", f"unknown opioid {drug!r}; known: {', '.join(sorted(OPIOIDS))}")
    conversion = CONVERSIONS.get(key)
    if conversion is None:
        routes = sorted(r for d, r in CONVERSIONS if d == key[0])
        raise ScoreError("route", f"no conversion for {drug} by {route!r}; use {routes[0]}")
    return conversion


def oral_morphine_equivalent(drug: str, route: str, daily_dose: Number) -> OmeResult:
    """OME in mg/day for one opioid (dose in mg/day, fentanyl patch in mcg/h)."""
    conversion = find_conversion(drug, route)
    dose = to_decimal(daily_dose, "daily_dose")
    check_range(dose, "daily_dose", 0, None)
    return OmeResult(
        drug=conversion.drug,
        route=conversion.route,
        daily_dose=float(dose),
        dose_unit=conversion.dose_unit,
        factor=float(conversion.factor),
        ome_mg_per_day=float(dose * conversion.factor),
    )


def total_ome(doses: Iterable[OpioidDose]) -> float:
    """Sum of OME mg/day over several opioids taken the same day (exact decimal sum)."""
    total = Decimal(0)
    for dose in doses:
        conversion = find_conversion(dose.drug, dose.route)
        amount = to_decimal(dose.daily_dose, "daily_dose")
        check_range(amount, "daily_dose", 0, None)
        total += amount * conversion.factor
    return float(total)


def listed_ome(opioids: Iterable[tuple[str, Number]]) -> float | None:
    """The OME of the opioids a visit lists, as (drug name as typed, mg/day), each by
    mouth; None when one of them has no oral factor (fentanyl is a patch in mcg/h,
    buprenorphine has none, a name not in the table cannot be converted): the recorded
    OME may then count what this cannot."""
    listed = list(opioids)
    if unconverted(listed):
        return None
    doses = [OpioidDose(drug_key(drug, OPIOIDS), "oral", daily) for drug, daily in listed]
    return total_ome(doses) if doses else None


def unconverted(opioids: Iterable[tuple[str, Number]]) -> list[str]:
    """The drugs of a visit's list whose OME this table cannot give by mouth (a name it
    does not know, a patch, buprenorphine): the reason :func:`listed_ome` is None."""
    return [drug for drug, _daily in opioids
            if (drug_key(drug, OPIOIDS), "oral") not in CONVERSIONS]


def ome_of_visit_list(opioids: Sequence[tuple[str, Number]]) -> float | None:
    """The OME a visit's list of analgesics gives: its opioids' (:func:`listed_ome`), 0
    when it lists none; None when one of them cannot be converted."""
    return listed_ome(opioids) if opioids else 0.0


def ome_disagrees(recorded: float, listed: float) -> bool:
    """A recorded OME further from the listed opioids' than rounding explains: more than
    1 mg/day and more than 5 % apart."""
    gap = abs(recorded - listed)
    return gap > 1.0 and gap > 0.05 * max(recorded, listed)
