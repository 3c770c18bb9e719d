"""Read the follow-up form into a FollowUpEntry, and stored values back into the form."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from clinic.followup.entry import AdverseEventInput, FollowUpEntry, MedicationInput
from clinic.followup.medications import dose_warnings
from clinic.scoring.instruments import INSTRUMENTS, Instrument, InstrumentKind
from clinic.scoring.likert import Satisfaction
from clinic.scoring.opioids import class_of
from clinic.web.forms import a_date, blank_to_none, form_int, number

MEDICATION_ROWS = 4  # on the entry page (two took no third analgesic)
MAX_ROWS = 20  # as the API takes
GROUPS = (
    ("Pain", (InstrumentKind.SCALE,)),
    ("Disability", (InstrumentKind.SECTIONS,)),
    ("Satisfaction", (InstrumentKind.LIKERT,)),
    ("Medication", (InstrumentKind.QUANTITY,)),
)


def grouped(instruments: list[Instrument]) -> list[tuple[str, list[Instrument]]]:
    """Instruments under their form headings, in the study's order, empty groups left out."""
    found = [(title, [i for i in instruments if i.kind in kinds]) for title, kinds in GROUPS]
    return [(title, items) for title, items in found if items]


def entries_from_form(form: MultiDict[str, str], instruments: list[Instrument]) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for inst in instruments:
        if inst.kind is InstrumentKind.SECTIONS:
            entries[inst.code] = {s.code: number(form.get(f"{inst.code}.{s.code}"))
                                  for s in inst.sections}
        elif inst.kind is InstrumentKind.LIKERT:
            entries[inst.code] = blank_to_none(form.get(inst.code))
        else:
            entries[inst.code] = number(form.get(inst.code))
    return entries


def no_longer_asked(form: MultiDict[str, str],
                    instruments: list[Instrument]) -> dict[str, str]:
    """A value typed for an outcome the visit no longer collects (its protocol amended
    after the form was opened) is named, so that the save is refused rather than drop
    it without a word (found trying a protocol change as a new user would)."""
    asked = {i.code for i in instruments}
    typed = {name.split(".", 1)[0] for name, value in form.items(multi=True)
             if value.strip()}  # "odi.walking" → "odi" (no instrument's code has a dot)
    dropped = [inst.label for code, inst in INSTRUMENTS.items()
               if code not in asked and code in typed]
    if not dropped:
        return {}
    these = ", ".join(dropped)
    return {"entries": f"The study's protocol changed since this form was opened: {these} "
                       f"{'is' if len(dropped) == 1 else 'are'} no longer collected at this "
                       "visit, so what was typed for it cannot be kept. The form below is "
                       "as the protocol now asks: check it and save again."}


def entry_from_form(form: MultiDict[str, str], instruments: list[Instrument],
                    errors: dict[str, str] | None = None) -> FollowUpEntry:
    """The screens' entry: a visit date (blank: today) and, when an outcome the protocol
    asks for is not collected, the reason (required)."""
    found: dict[str, str] = {} if errors is None else errors
    found |= no_longer_asked(form, instruments)
    return FollowUpEntry(
        entries=entries_from_form(form, instruments),
        mode=form.get("mode", ""),
        read_version=form.get("version", type=form_int),
        adverse_event=_adverse_event(form, found),
        medications=medications_from_form(form),
        visit_on=a_date(form.get("visit_on"), "visit_on", found, required=False),
        missing_reason=blank_to_none(form.get("missing_reason")),
        require_complete=True,
        far_date_confirmed=form.get("date_confirmed") == "yes",
        doses_confirmed=confirmed_doses(form),
    )


def _adverse_event(form: MultiDict[str, str], errors: dict[str, str]) -> AdverseEventInput | None:
    """The complication part; an onset that does not read as a day is named as such in
    ``errors`` (a blank one is left to the entry's own check: 'Enter the date …')."""
    event_type = blank_to_none(form.get("ae.event_type"))
    if event_type is None:
        return None
    return AdverseEventInput(
        event_type=event_type,
        onset_on=a_date(form.get("ae.onset_on"), "ae.onset_on", errors, required=False),
        severity=blank_to_none(form.get("ae.severity")),
        is_related={"yes": True, "no": False}.get(form.get("ae.is_related") or ""),
        notes=blank_to_none(form.get("ae.notes")))


def confirmed_doses(form: Any) -> frozenset[str]:
    """The doses the ticked "The doses are right" was shown for ("tramadol:800 …", see
    clinic.followup.medications.DoseWarning): a dose changed since is not confirmed."""
    return frozenset((form.get("doses_confirmed") or "").split())


def dose_keys(typed: tuple[MedicationInput, ...], recorded: Any = ()) -> str:
    """The value of the form's "The doses are right": the doses above their labels as
    the form now reads them (``typed``, from :func:`medications_from_form`)."""
    return " ".join(w.key for w in dose_warnings(typed, recorded))


def medications_from_form(form: MultiDict[str, str]) -> tuple[MedicationInput, ...]:
    """The filled medication rows (the correction page shows a row per medication
    recorded and one more; the entry page, two)."""
    if not any(name.startswith("med.") for name in form):
        return ()  # (a form without them asks for none of the 60 fields below)
    meds = []
    for i in range(MAX_ROWS):
        values = [blank_to_none(form.get(f"med.{i}.{n}"))
                  for n in ("med_class", "drug", "daily_dose_mg")]
        if not any(values):
            continue
        dose = number(values[2])
        if values[0] is None and values[1]:  # the class left empty, the drug known
            values[0] = class_of(values[1])  # ("pregabalin" was refused for its class)
        meds.append(MedicationInput(values[0], values[1],
                                    float(dose) if isinstance(dose, int | float) else -1.0,
                                    row=i))
    return tuple(meds)


def medication_values(medications: list[Any]) -> dict[str, str]:
    """Stored medications as the form's rows."""
    flat: dict[str, str] = {}
    for i, med in enumerate(medications):
        flat |= {f"med.{i}.med_class": med.med_class, f"med.{i}.drug": med.drug,
                 f"med.{i}.daily_dose_mg": f"{med.daily_dose_mg:g}"}
    return flat


def form_values(entries: dict[str, Any]) -> dict[str, str]:
    """Stored entries as the flat field names of the form."""
    flat: dict[str, str] = {}
    for code, value in entries.items():
        if isinstance(value, dict):
            flat.update({f"{code}.{k}": "" if v is None else str(v) for k, v in value.items()})
        elif value is not None:
            flat[code] = str(value)
    return flat


def same_entries(recorded: dict[str, Any], typed: dict[str, Any]) -> bool:
    """Do the values typed equal those recorded (numbers compared as numbers)?"""
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if v not in (None, "")}
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return value
    keys = {k for k, v in typed.items() if v not in (None, "", {})} | {
        k for k, v in recorded.items() if v not in (None, "", {})}
    return all(plain(recorded.get(k)) == plain(typed.get(k)) for k in keys)


def typed_values(entry: Any, instruments: list[Instrument]) -> list[tuple[str, str]]:
    """What the nurse typed, as label and text, to show beside what is recorded."""
    shown = []
    if entry.medications:
        shown.append(("Analgesics", "; ".join(
            f"{m.drug} {m.daily_dose_mg:g} mg/day" if (m.daily_dose_mg or 0) >= 0
            else f"{m.drug} (no dose)" for m in entry.medications)))
    for inst in instruments:
        value = entry.entries.get(inst.code)
        if isinstance(value, dict):  # an ODI/NDI: each section by its name
            names = {s.code: s.label for s in inst.sections}
            text = "; ".join(f"{names.get(k, k).lower()} {'–' if v is None else v}"
                             for k, v in value.items())
            if all(v is None for v in value.values()):
                text = ""
        else:
            text = _level_words(value)
        if text.strip():
            shown.append((inst.label, text))
    return shown


def _level_words(value: Any) -> str:
    """A value as typed, a satisfaction level by its name ("Very satisfied", not its
    code)."""
    if value is None:
        return ""
    try:
        return Satisfaction(value).label if isinstance(value, str) else str(value)
    except ValueError:
        return str(value)
