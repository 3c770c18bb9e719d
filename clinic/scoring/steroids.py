"""Corticosteroid doses as methylprednisolone equivalents (pure).

A study's steroid cap per patient is a methylprednisolone-equivalent dose (the seed
trial caps methylprednisolone acetate at 80 mg per patient; a protocol document says
``steroid_cap_mg = 80.0  # methylprednisolone-equivalent``): a patient given
dexamethasone is counted by its anti-inflammatory potency, not its milligrams.

Equivalent anti-inflammatory doses (British National Formulary, "Corticosteroids,
general use": prednisolone 5 mg is equivalent to betamethasone 750 micrograms,
dexamethasone 750 micrograms, methylprednisolone 4 mg and triamcinolone 4 mg; the same
ratios as Meikle AW, Tyler FH. Potency and duration of action of glucocorticoids. Am J
Med 1977;63:200-7): 1 mg of dexamethasone or betamethasone is 4/0.75 = 16/3 mg of
methylprednisolone; triamcinolone is 1:1.
"""

from __future__ import annotations

from fractions import Fraction

# mg of methylprednisolone per mg of each steroid the procedure form offers
METHYLPREDNISOLONE_PER_MG: dict[str, Fraction] = {
    "methylprednisolone_acetate": Fraction(1),
    "triamcinolone": Fraction(1),
    "dexamethasone": Fraction(4) / Fraction(3, 4),
    "betamethasone": Fraction(4) / Fraction(3, 4),
}


def methylprednisolone_mg(drug: str, dose_mg: float | None) -> Fraction:
    """``dose_mg`` of ``drug`` as mg of methylprednisolone (0 for a drug that is not a
    steroid, or no dose)."""
    factor = METHYLPREDNISOLONE_PER_MG.get(drug)
    if factor is None or not dose_mg:
        return Fraction(0)
    return Fraction(dose_mg) * factor


def mg_text(value: Fraction) -> str:
    """An equivalent dose as shown: at most one decimal (42.7 mg, 80 mg)."""
    return f"{round(float(value), 1):g}"
