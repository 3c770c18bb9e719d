"""Read the screening and enrollment form into service inputs (no database)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from werkzeug.datastructures import MultiDict

from clinic.enrollment.inputs import ConsentInput, IdentityInput, PatientInput, validate_consent
from clinic.exceptions import ValidationError
from clinic.web.forms import a_date, blank_to_none, strict_int, strict_number, tri_state


def answers_from_form(form: MultiDict[str, str], codes: list[str],
                      errors: dict[str, str] | None = None) -> dict[str, bool | None]:
    return {code: tri_state(form.get(f"criterion.{code}"), f"criterion.{code}", errors)
            for code in codes}


def factors_from_form(form: MultiDict[str, str], names: list[str],
                      errors: dict[str, str]) -> dict[str, int]:
    factors = {}
    for name in names:
        value = strict_int(form.get(f"factor.{name}"), f"factor.{name}", errors)
        if value is None and f"factor.{name}" not in errors:
            errors[f"factor.{name}"] = "Required: it decides the randomization stratum."
        elif value is not None:
            factors[name] = value
    return factors


def patient_from_form(form: MultiDict[str, str], errors: dict[str, str],
                      roots: Sequence[str]) -> PatientInput:
    """``roots``: the study's (see clinic.studies.setup.study_roots)."""
    return PatientInput(
        study_code=(form.get("study_code") or "").strip(),
        sex=form.get("sex") or "",
        age_at_enrollment=strict_int(form.get("age_at_enrollment"), "age_at_enrollment", errors),
        birth_year=strict_int(form.get("birth_year"), "birth_year", errors),
        bmi=strict_number(form.get("bmi"), "bmi", errors),
        diagnosis=blank_to_none(form.get("diagnosis")),
        symptom_duration_months=strict_number(form.get("symptom_duration_months"),
                                              "symptom_duration_months", errors),
        root_laterality={root: form[f"root.{root}"] for root in roots
                         if form.get(f"root.{root}")},
    )


def identity_from_form(form: MultiDict[str, str]) -> IdentityInput:
    return IdentityInput(
        name=(form.get("name") or "").strip(), mrn=blank_to_none(form.get("mrn")),
        phone=blank_to_none(form.get("phone")), email=blank_to_none(form.get("email")),
        reminder_consent=form.get("reminder_consent") == "yes",
        self_report_consent=form.get("self_report_consent") == "yes",
        language=form.get("language") or "en",
        birth_date=_birth_date(form))


def _birth_date(form: MultiDict[str, str]) -> date | None:
    """The date of birth, or None when blank; a malformed one is refused by the
    identity check as 'not a date' (see validate_identity)."""
    found: dict[str, str] = {}
    value = a_date(form.get("birth_date"), "birth_date", found, required=False)
    if found:
        return date.min  # outside every allowed range: refused with the field's message
    return value


def consent_from_form(form: MultiDict[str, str], errors: dict[str, str],
                      taken_by: int | None, today: date) -> ConsentInput:
    """The consent fields; their messages join ``errors`` (nothing is checked twice)."""
    found: dict[str, str] = {}
    consent = ConsentInput(
        signed_on=a_date(form.get("consent_on"), "consent_on", found, required=False),
        form_version=blank_to_none(form.get("consent_version")), taken_by_id=taken_by)
    try:  # also when the date did not read: the version's problem is named at once
        validate_consent(consent, today, enrolled_on=_day(form.get("enrolled_on")))
    except ValidationError as error:
        for name, message in error.errors.items():
            found.setdefault(name, message)
    errors.update(found)
    return consent


def _day(text: str | None) -> date | None:
    found: dict[str, str] = {}
    return a_date(text, "enrolled_on", found, required=False)


def enrolled_on_from_form(form: MultiDict[str, str], errors: dict[str, str],
                          today: date) -> date:
    day = a_date(form.get("enrolled_on"), "enrolled_on", errors) or today
    if day > today:
        errors["enrolled_on"] = "The enrollment date cannot be in the future."
    return day
