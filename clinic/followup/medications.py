"""The analgesics taken around a visit: checked, stored at entry, corrected later."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from clinic.catalog import MEDICATION_CLASSES, NUMBER_BOUNDS
from clinic.models import Assessment, Medication
from clinic.scoring.analgesics import above_label, drug_key, label_maximum, mg
from clinic.scoring.opioids import classes_of

DOSE_MAX = int(NUMBER_BOUNDS["daily_dose_mg"][1])
DRUG_MAX = 60
CONFIRM_DOSES = 'tick "The doses are right" and save again'


@dataclass(frozen=True)
class MedicationInput:
    med_class: str | None
    drug: str | None
    daily_dose_mg: float | None
    row: int | None = None  # its row on the form (errors are named by it); None: its place


def medication_errors(medications: Sequence[MedicationInput]) -> dict[str, str]:
    """Each row's problems, named ``med.{row}.{field}`` (pure)."""
    errors: dict[str, str] = {}
    for place, med in enumerate(medications):
        i = place if med.row is None else med.row
        if med.med_class not in MEDICATION_CLASSES:
            errors[f"med.{i}.med_class"] = "Choose the class: opioid, NSAID or gabapentinoid."
        if not (med.drug or "").strip():
            errors[f"med.{i}.drug"] = "Name the drug."
        elif med.med_class in MEDICATION_CLASSES and (wrong := _class_error(med)):
            errors[f"med.{i}.med_class"] = wrong
        if med.daily_dose_mg is None or not 0 <= med.daily_dose_mg <= DOSE_MAX:
            errors[f"med.{i}.daily_dose_mg"] = (
                f"Enter the daily dose in mg (0 to {DOSE_MAX:g}): a number, with a point or a "
                "comma for decimals and no thousands separator (1200, not 1.200 or 1,200).")
        if len((med.drug or "").strip()) > DRUG_MAX:
            errors[f"med.{i}.drug"] = f"Use at most {DRUG_MAX} characters."
    return errors


def _class_error(med: MedicationInput) -> str | None:
    """A class the drug's name contradicts ("pregabalin" recorded as an NSAID would be
    counted with the NSAIDs in the report's analgesic use), else None."""
    classes = classes_of(med.drug)
    if not classes or med.med_class in classes:
        return None
    named = " or ".join(_with_article(c) for c in sorted(classes))
    return (f"{(med.drug or '').strip()} is {named}, not "
            f"{_with_article(med.med_class)}: choose its class, or check the drug's "  # type: ignore[arg-type]
            "name.")


def _with_article(med_class: str) -> str:
    """'an opioid', 'an NSAID', 'a gabapentinoid'."""
    label = MEDICATION_CLASSES[med_class]
    word = label if label.isupper() else label.lower()
    return f"{'an' if word[0] in 'aeiouN' else 'a'} {word}"


@dataclass(frozen=True)
class DoseWarning:
    """A drug whose day's total at the visit is above its labelled maximum."""

    key: str  # "tramadol:800": what a confirmation confirms (another dose is asked again)
    rows: tuple[int, ...]  # its rows on the form
    words: str  # "tramadol 800 mg/day, above its labelled maximum (400 mg/day)"


def dose_warnings(medications: Sequence[MedicationInput],
                  recorded: Sequence[Medication] = ()) -> list[DoseWarning]:
    """Each drug whose daily doses at the visit add up to more than its label's maximum
    (two rows of tramadol 300 are 600 mg/day); a drug whose rows are all as ``recorded``
    (a correction that keeps them) was confirmed when it was entered (pure)."""
    kept = [_key(m) for m in recorded]
    drugs: dict[str, list[tuple[int, MedicationInput]]] = {}
    for place, med in enumerate(medications):
        dose = med.daily_dose_mg
        if label_maximum(med.drug) is None or dose is None or not 0 <= dose <= DOSE_MAX:
            continue  # (a dose out of bounds is refused as such: medication_errors)
        drugs.setdefault(drug_key(med.drug), []).append(
            (place if med.row is None else med.row, med))
    found = []
    for drug, rows in drugs.items():
        total = sum(med.daily_dose_mg for _row, med in rows)  # type: ignore[misc]
        maximum = above_label(drug, total)
        if maximum is None or _all_kept([med for _row, med in rows], kept):
            continue
        several = f" in {len(rows)} rows" if len(rows) > 1 else ""
        found.append(DoseWarning(f"{drug}:{mg(total)}", tuple(row for row, _med in rows),
                                 f"{drug} {mg(total)} mg/day{several}, above its labelled "
                                 f"maximum ({mg(maximum)} mg/day)"))  # type: ignore[arg-type]
    return found


def _all_kept(rows: list[MedicationInput], kept: list[tuple[str, str, float]]) -> bool:
    left = list(kept)
    for med in rows:
        if _key(med) not in left:
            return False
        left.remove(_key(med))
    return True


def unconfirmed(warnings: Sequence[DoseWarning],
                confirmed: Collection[str] | None) -> dict[str, str]:
    """The warnings ``confirmed`` does not name (None: every dose confirmed, as the API's
    ``doses_confirmed``), each on its rows' doses, and ``doses_confirmed`` saying how to
    keep them: a confirmation names the doses it was given for, so a dose changed after
    the box was ticked is asked about again."""
    errors: dict[str, str] = {}
    for warning in warnings:
        if confirmed is not None and warning.key not in confirmed:
            for row in warning.rows:
                errors[f"med.{row}.daily_dose_mg"] = (
                    f"{warning.words.capitalize()}: check it is the day's total in mg (not "
                    "a week's, not in micrograms).")
    if errors:
        errors["doses_confirmed"] = (f"A daily dose is above its drug's labelled maximum. If "
                                     f"the patient takes it, {CONFIRM_DOSES}.")
    return errors


def confirmed_words(warnings: Sequence[DoseWarning]) -> str | None:
    """The audit reason of a save over confirmed doses: what was confirmed."""
    if not warnings:
        return None
    return "Confirmed before saving: " + "; ".join(w.words for w in warnings)


def medications_of(session: Session, assessment: Assessment) -> list[Medication]:
    return list(session.exec(select(Medication).where(
        Medication.assessment_id == assessment.id).order_by(Medication.id)).all())  # type: ignore[arg-type]


def add_medications(session: Session, assessment: Assessment,
                    medications: Sequence[MedicationInput]) -> None:
    session.add_all([_row(assessment, med) for med in medications])


def replace_medications(session: Session, assessment: Assessment,
                        medications: Sequence[MedicationInput]) -> None:
    """The visit's medications as ``medications`` lists them. Rows are matched by what
    they are first, then by their place: a row typed as recorded stays; the same drug of
    the same class with another dose is that row, its dose changed (the audit shows old
    and new), its name too when only its case differs ("Tramadol"); a row left unmatched
    whose line on the form is a recorded row's is that row retyped (a name's spelling
    corrected, a class changed: updated in place, not deleted and added at the end); a
    recorded row left over is deleted, a typed one added (removing the first of three
    read as "tramadol became ibuprofen, ibuprofen became pregabalin, pregabalin
    deleted")."""
    recorded = medications_of(session, assessment)
    left = list(recorded)
    wanted = [(place if med.row is None else med.row, _row(assessment, med))
              for place, med in enumerate(medications)]
    for same in (_identical, _same_drug):
        for place, new in list(wanted):
            row = next((r for r in left if same(r, new)), None)
            if row is not None:
                left.remove(row)
                wanted.remove((place, new))
                row.daily_dose_mg, row.drug = new.daily_dose_mg, new.drug
    for place, new in list(wanted):  # the same line of the form, retyped
        row = recorded[place] if place < len(recorded) else None
        if row is not None and row in left:
            left.remove(row)
            wanted.remove((place, new))
            row.med_class, row.drug, row.daily_dose_mg = new.med_class, new.drug, new.daily_dose_mg
    for row in left:
        session.delete(row)
    session.add_all([new for _place, new in wanted])


def same_medications(recorded: Sequence[Medication],
                     typed: Sequence[MedicationInput]) -> bool:
    """Do the rows typed say what is recorded (in any order), to the case of a letter (a
    name's case corrected is a correction)?"""
    return sorted(map(_written, recorded)) == sorted(map(_written, typed))


def _key(m: Any) -> tuple[str, str, float]:
    return (m.med_class or "", (m.drug or "").strip().casefold(), float(m.daily_dose_mg or 0.0))


def _written(m: Any) -> tuple[str, str, float]:
    return (m.med_class or "", (m.drug or "").strip(), float(m.daily_dose_mg or 0.0))


def _identical(row: Medication, new: Medication) -> bool:
    return _written(row) == _written(new)


def _same_drug(row: Medication, new: Medication) -> bool:
    return row.med_class == new.med_class and row.drug.casefold() == new.drug.casefold()


def _row(assessment: Assessment, med: MedicationInput) -> Medication:
    return Medication(assessment_id=assessment.id, med_class=med.med_class or "",  # type: ignore[arg-type]
                      drug=(med.drug or "").strip(), daily_dose_mg=med.daily_dose_mg or 0.0)
