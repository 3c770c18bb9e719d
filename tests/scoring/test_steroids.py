"""Steroid doses as methylprednisolone equivalents (BNF: methylprednisolone 4 mg =
triamcinolone 4 mg = dexamethasone 750 micrograms = betamethasone 750 micrograms)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from clinic.catalog import STEROIDS
from clinic.scoring.steroids import METHYLPREDNISOLONE_PER_MG, methylprednisolone_mg, mg_text


def test_every_steroid_of_the_form_has_its_factor():
    assert set(METHYLPREDNISOLONE_PER_MG) == set(STEROIDS)


@pytest.mark.parametrize(("drug", "mg", "equivalent"), [
    ("dexamethasone", 0.75, Fraction(4)), ("betamethasone", 0.75, Fraction(4)),
    ("triamcinolone", 4, Fraction(4)), ("methylprednisolone_acetate", 80, Fraction(80)),
    ("dexamethasone", 15, Fraction(80)), ("dexamethasone", 8, Fraction(128, 3)),
    ("lidocaine", 100, Fraction(0)), ("dexamethasone", None, Fraction(0))])
def test_equivalent_doses(drug, mg, equivalent):
    assert methylprednisolone_mg(drug, mg) == equivalent


def test_shown_with_one_decimal():
    assert [mg_text(Fraction(128, 3)), mg_text(Fraction(80)), mg_text(Fraction(256, 3))] == [
        "42.7", "80", "85.3"]
