"""Validated input for registering a patient (pure: no Flask, no database)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from clinic.catalog import LANGUAGES, LATERALITY, NUMBER_BOUNDS, ROOTS, SEXES
from clinic.contact.addresses import normalize_email
from clinic.exceptions import ValidationError

STUDY_CODE_MAX, DIAGNOSIS_MAX, CONSENT_VERSION_MAX = 30, 300, 40
IDENTITY_LIMITS = {"name": 200, "mrn": 50, "phone": 40}  # patient_identity (e-mail: below)
# a number a nurse dials: digits with the usual separators ("+49 (0)30 555-0142")
PHONE = re.compile(r"\+?[0-9 ()./-]+")
PHONE_MIN_DIGITS = 3
# a hospital's record number: letters and digits, with - _ . / between them
MRN = re.compile(r"[0-9A-Za-z]+(?:[ ._/-]*[0-9A-Za-z]+)*")


BIRTH_DATE_MIN = date(1900, 1, 1)


@dataclass(frozen=True)
class PatientInput:
    study_code: str
    sex: str
    age_at_enrollment: int | None = None
    birth_year: int | None = None
    bmi: float | None = None
    diagnosis: str | None = None
    symptom_duration_months: float | None = None
    root_laterality: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ConsentInput:
    """Informed consent, as the enrollment records it."""

    signed_on: date | None
    form_version: str | None
    taken_by_id: int | None = None


def validate_consent(c: ConsentInput, today: date | None, *,
                     enrolled_on: date | None = None) -> None:
    """``today`` None: the caller checked the future already (the service, which knows the
    enrollment day but not the clinic's day)."""
    errors: dict[str, str] = {}
    if c.signed_on is None:
        errors["consent_on"] = "Enter the date the patient signed the consent form."
    elif today is not None and c.signed_on > today:
        errors["consent_on"] = "The consent cannot be signed in the future."
    elif enrolled_on is not None and c.signed_on > enrolled_on:
        errors["consent_on"] = (f"The consent is signed before enrollment: on or before "
                                f"the enrollment day ({enrolled_on.isoformat()}).")
    elif c.signed_on.year < 2000:
        errors["consent_on"] = "Enter a consent date from the year 2000 on."
    if not (c.form_version or "").strip():
        errors["consent_version"] = "Enter the version of the consent form signed."
    elif len(c.form_version.strip()) > CONSENT_VERSION_MAX:  # type: ignore[union-attr]
        errors["consent_version"] = f"Use at most {CONSENT_VERSION_MAX} characters."
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class IdentityInput:
    name: str
    mrn: str | None = None
    phone: str | None = None
    email: str | None = None
    reminder_consent: bool = False
    birth_date: date | None = None
    self_report_consent: bool = False  # answers follow-ups by a link sent by e-mail
    language: str = "en"  # of the patient's pages and e-mails (catalog.LANGUAGES)


_NEW_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def new_code_problem(code: str) -> str | None:
    """A new patient's study code: letters, digits and - _ . (no spaces, nothing a
    file name, a URL or a spreadsheet reads differently). Codes stored before this rule
    keep working; only new ones are checked."""
    if not _NEW_CODE.fullmatch(code.strip()):
        return ("Use letters (A-Z), digits and - _ . only, starting with a letter or "
                "a digit, e.g. DEMO-0012.")
    return None


def validate_patient(p: PatientInput, today: date, roots: Sequence[str] = ROOTS) -> None:
    """``roots``: those whose laterality the study asks (see clinic.studies.setup)."""
    errors: dict[str, str] = {}
    if not p.study_code.strip():
        errors["study_code"] = "Enter the patient's study code."
    elif len(p.study_code.strip()) > STUDY_CODE_MAX:
        errors["study_code"] = f"Use at most {STUDY_CODE_MAX} characters."
    elif not p.study_code.strip().isprintable():
        errors["study_code"] = ("The code holds an invisible or control character (a tab, "
                                "a non-breaking space): type it again with letters, digits "
                                "and - _ . only.")
    if p.diagnosis is not None and len(p.diagnosis) > DIAGNOSIS_MAX:
        errors["diagnosis"] = f"Use at most {DIAGNOSIS_MAX} characters."
    if p.sex not in SEXES:
        errors["sex"] = f"Choose one of: {', '.join(SEXES.values()).lower()}."
    if p.age_at_enrollment is None and p.birth_year is None:
        errors["age_at_enrollment"] = "Enter the age at enrollment or the birth year."
    if p.age_at_enrollment is not None and not 0 <= p.age_at_enrollment <= 120:
        errors["age_at_enrollment"] = "Age must be between 0 and 120."
    if p.birth_year is not None and not 1900 <= p.birth_year <= today.year:
        errors["birth_year"] = f"Birth year must be between 1900 and {today.year}."
    elif (p.birth_year is not None and p.age_at_enrollment is not None
          and "age_at_enrollment" not in errors
          and today.year - p.birth_year - p.age_at_enrollment not in (0, 1)):
        errors["age_at_enrollment"] = (f"Born in {p.birth_year}, the patient is "
                                       f"{today.year - p.birth_year - 1} or "
                                       f"{today.year - p.birth_year} at enrollment.")
    if p.bmi is not None and not 10 <= p.bmi <= 80:
        errors["bmi"] = "BMI must be between 10 and 80 kg/m²."
    duration = p.symptom_duration_months
    if duration is not None and not 0 <= duration <= NUMBER_BOUNDS["symptom_duration_months"][1]:
        errors["symptom_duration_months"] = "Duration must be 0 to 1,200 months."
    for root, laterality in p.root_laterality.items():
        if root not in roots:
            errors[f"root_laterality.{root}"] = (
                f"The study does not ask the laterality at {str(root)[:10]} (it asks "
                f"{', '.join(roots) or 'none'}).")
        elif laterality not in LATERALITY:
            errors[f"root_laterality.{root}"] = (
                f"Laterality at {root} must be one of: {', '.join(LATERALITY)}.")
    if errors:
        raise ValidationError(errors)


def validate_identity(i: IdentityInput) -> None:
    errors: dict[str, str] = {}
    if not i.name.strip():
        errors["name"] = "Enter the patient's name."
    for name, limit in IDENTITY_LIMITS.items():
        value = getattr(i, name)
        if value is not None and (len(value) > limit or not value.isprintable()):
            errors[name] = f"Use at most {limit} characters, on one line."
    phone = (i.phone or "").strip()
    if phone and "phone" not in errors and not (
            PHONE.fullmatch(phone) and sum(c.isdigit() for c in phone) >= PHONE_MIN_DIGITS):
        errors["phone"] = ("A phone number holds digits, with + ( ) - . / or spaces between "
                           "them (e.g. +49 30 555-0142); put notes elsewhere.")
    mrn = (i.mrn or "").strip()
    if mrn and "mrn" not in errors and not MRN.fullmatch(mrn):
        errors["mrn"] = ("An MRN holds letters (A–Z) and digits, with - _ . / or spaces "
                         "between them.")
    if i.email and "email" not in errors:
        try:
            normalize_email(i.email)
        except ValidationError as error:
            errors.update(error.errors)
    if i.birth_date is not None and not BIRTH_DATE_MIN <= i.birth_date <= date.today():
        errors["birth_date"] = f"Enter a date of birth from {BIRTH_DATE_MIN:%Y} to today."
    if i.reminder_consent and not (i.email or "").strip():
        errors["reminder_consent"] = "Reminders need an e-mail address."
    if i.self_report_consent and not (i.email or "").strip():
        errors["self_report_consent"] = "Self-report links are sent by e-mail: enter the address."
    if i.language not in LANGUAGES:
        errors["language"] = f"Choose one of: {', '.join(LANGUAGES.values())}."
    if errors:
        raise ValidationError(errors)
