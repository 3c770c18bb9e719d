"""The labelled maximum daily doses of the analgesics a pain clinic records (pure).

A dose above its label's maximum is more often a slip (a week's total, micrograms typed
as milligrams, a zero too many) than a dose taken: the entry asks for it to be confirmed.
Adult maximum daily doses (oral), from the products' prescribing information (US labels,
DailyMed; etoricoxib from the EU SmPC, it is not marketed in the US):

    tramadol 400 mg (Ultram), tapentadol 600 mg after the first day (Nucynta), codeine
    360 mg (codeine sulfate tablets), ibuprofen 3,200 mg (Motrin), naproxen 1,500 mg
    (Naprosyn, "for limited periods"), diclofenac 200 mg (Voltaren, rheumatoid
    arthritis), celecoxib 400 mg (Celebrex, beyond the first day of acute pain),
    meloxicam 15 mg (Mobic), ketorolac 40 mg (oral), etoricoxib 120 mg (Arcoxia),
    gabapentin 3,600 mg (Neurontin), pregabalin 600 mg (Lyrica).

The full agonists (morphine, oxycodone, hydromorphone, methadone, fentanyl…) have no
ceiling dose and are not checked here; their total is an OME (clinic.scoring.opioids).
A drug is known by the first word of its name that names one, case aside, a brand name
read as its drug ("Tramadol retard", "ER tramadol" and "Ultram" are tramadol, "Lyrica" is
pregabalin); a name with no word the table knows is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Collection

LABEL_MAXIMA_MG_PER_DAY: dict[str, float] = {
    "tramadol": 400, "tapentadol": 600, "codeine": 360,
    "ibuprofen": 3200, "naproxen": 1500, "diclofenac": 200, "celecoxib": 400,
    "meloxicam": 15, "ketorolac": 40, "etoricoxib": 120,
    "gabapentin": 3600, "pregabalin": 600,
}
# brand names (US and European) of the drugs above and of the opioids OME converts
BRANDS = {
    "ultram": "tramadol", "tramal": "tramadol", "contramal": "tramadol",
    "nucynta": "tapentadol", "palexia": "tapentadol",
    "motrin": "ibuprofen", "advil": "ibuprofen", "nurofen": "ibuprofen", "brufen": "ibuprofen",
    "naprosyn": "naproxen", "aleve": "naproxen", "anaprox": "naproxen",
    "voltaren": "diclofenac", "cataflam": "diclofenac", "celebrex": "celecoxib",
    "mobic": "meloxicam", "toradol": "ketorolac", "arcoxia": "etoricoxib",
    "neurontin": "gabapentin", "gralise": "gabapentin", "lyrica": "pregabalin",
    "oxycontin": "oxycodone", "roxicodone": "oxycodone", "dilaudid": "hydromorphone",
    "kadian": "morphine", "duragesic": "fentanyl",
}
_WORDS = re.compile(r"[^\W\d_]+")


def drug_words(drug: str | None) -> list[str]:
    """The words of a drug's name, case aside, each brand read as its drug
    ("Lyrica 75 mg" → ["pregabalin", "mg"])."""
    return [BRANDS.get(w, w) for w in (m.group(0).casefold() for m in _WORDS.finditer(drug or ""))]


def drug_key(drug: str | None,
             known: Collection[str] = LABEL_MAXIMA_MG_PER_DAY.keys()) -> str:
    """The drug's name as a table knows it: the first word of the name (a brand read as
    its drug) that is in ``known``, else its first word, case aside."""
    words = drug_words(drug)
    return next((w for w in words if w in known), words[0] if words else "")


def label_maximum(drug: str | None) -> float | None:
    """The labelled maximum daily dose in mg, or None for a drug not in the table."""
    return LABEL_MAXIMA_MG_PER_DAY.get(drug_key(drug))


def mg(dose: float) -> str:
    """A dose as typed, every digit it has (3200.0001 is not "3200")."""
    return f"{dose:.4f}".rstrip("0").rstrip(".")


def above_label(drug: str | None, daily_dose_mg: float | None) -> float | None:
    """The label's maximum when ``daily_dose_mg`` is above it, else None."""
    maximum = label_maximum(drug)
    if maximum is None or daily_dose_mg is None or daily_dose_mg <= maximum:
        return None
    return maximum
