"""Labelled maximum daily doses: the drug known by its first word, a dose above the
maximum named with it, one at the maximum and an unknown drug left alone."""

from __future__ import annotations

import pytest

from clinic.scoring.analgesics import above_label, drug_key, label_maximum


@pytest.mark.parametrize("typed, key", [("Tramadol retard", "tramadol"),
                                        ("  PREGABALIN 75mg", "pregabalin"),
                                        ("ER tramadol", "tramadol"),
                                        ("Extended-release tramadol", "tramadol"),
                                        ("Lyrica", "pregabalin"), ("Advil", "ibuprofen"),
                                        ("ibuprofène", "ibuprofène"), ("", ""), (None, ""),
                                        ("100 mg", "mg")])
def test_a_drug_is_known_by_the_first_word_of_its_name(typed, key):
    assert drug_key(typed) == key


def test_the_maxima_are_the_labels():
    assert [label_maximum(d) for d in ("tramadol", "tapentadol", "codeine", "ibuprofen",
                                       "naproxen", "diclofenac", "celecoxib", "meloxicam",
                                       "ketorolac", "etoricoxib", "gabapentin",
                                       "pregabalin")] == [
        400, 600, 360, 3200, 1500, 200, 400, 15, 40, 120, 3600, 600]


@pytest.mark.parametrize("drug, dose, said", [
    ("tramadol", 400, None), ("tramadol", 400.5, 400), ("Tramadol", 4000, 400),
    ("pregabalin", 6000, 600), ("meloxicam", 150, 15), ("morphine", 4000, None),
    ("oxycodone", 999, None), ("aspirin", 99999, None), ("gabapentin", None, None)])
def test_a_dose_above_the_label_is_named_with_its_maximum(drug, dose, said):
    assert above_label(drug, dose) == said


def test_a_dose_reads_with_every_digit_it_has():
    """3200.0001 mg/day read "3200 mg/day is above … (3200 mg/day)"."""
    from clinic.scoring.analgesics import mg

    assert (mg(3200.0001), mg(3200.0), mg(37.5), mg(0.25)) == ("3200.0001", "3200", "37.5",
                                                               "0.25")


def test_every_drug_with_a_label_maximum_and_every_opioid_has_its_class():
    from clinic.scoring.analgesics import LABEL_MAXIMA_MG_PER_DAY
    from clinic.scoring.opioids import OPIOIDS, class_of

    assert all(class_of(drug) is not None for drug in LABEL_MAXIMA_MG_PER_DAY)
    assert {class_of(d) for d in OPIOIDS} == {"opioid"}
    assert [class_of(d) for d in ("Lyrica", "ER tramadol", "Ibuprofen 400", "aspirin", "")] \
        == ["gabapentinoid", "opioid", "nsaid", None, None]


@pytest.mark.parametrize(("name", "classes"), [
    ("Lyrica 75 mg", {"gabapentinoid"}), ("ibuprofen/codeine", {"nsaid", "opioid"}),
    ("Tramadol retard", {"opioid"}), ("kratom", set()), ("", set()), (None, set()),
    ("paracetamol + tramadol", {"opioid"}), ("DURAGESIC patch", {"opioid"})])
def test_the_classes_a_drugs_name_names(name, classes):
    from clinic.scoring.opioids import classes_of

    assert classes_of(name) == classes
