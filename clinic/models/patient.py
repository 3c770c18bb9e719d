"""Patients (study data) and their identifying data (kept apart, read by some roles only)."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, column, event, func
from sqlmodel import Field, SQLModel

from clinic.catalog import LANGUAGES, LATERALITY, SEXES
from clinic.contact.keys import mrn_key, name_key, phone_key
from clinic.models.base import Audited, UTCDateTime, check_in, in_bounds, utcnow


class Patient(Audited, SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("study_id", "study_code"),
        # the patient list in study-code order, a page at a time (keyset), all studies
        Index("ix_patient_study_code_id", "study_code", "id"),
        # the status grid of one study and site, in study-code order
        Index("ix_patient_study_site_code", "study_id", "site_id", "study_code"),
        # a new study code is free whatever its case (enrollment): one lookup, not a read
        # of every patient of the study (covering: the code as stored is in it)
        Index("ix_patient_study_code_upper", "study_id", func.upper(column("study_code")),
              "study_code"),
        check_in("sex", SEXES, "sex_known"),
        CheckConstraint(
            "birth_year IS NOT NULL OR age_at_enrollment IS NOT NULL", name="age_or_birth_year"
        ),
        CheckConstraint(
            "age_at_enrollment IS NULL OR (age_at_enrollment >= 0 AND age_at_enrollment <= 120)",
            name="age_range",
        ),
        CheckConstraint("birth_year IS NULL OR birth_year >= 1900", name="birth_year_range"),
        CheckConstraint("bmi IS NULL OR (bmi >= 10 AND bmi <= 80)", name="bmi_range"),
        CheckConstraint(
            "symptom_duration_months IS NULL OR symptom_duration_months >= 0",
            name="duration_non_negative",
        ),
        CheckConstraint("birth_year IS NULL OR birth_year <= 2100", name="birth_year_max"),
        *in_bounds("symptom_duration_months"),
    )

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    study_code: str = Field(max_length=30)  # the pseudonym used everywhere
    site_id: int = Field(foreign_key="site.id", index=True)
    sex: str = Field(max_length=10)
    birth_year: int | None = None
    age_at_enrollment: int | None = None
    bmi: float | None = None
    diagnosis: str | None = Field(default=None, max_length=300)
    symptom_duration_months: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1)


class PatientIdentity(Audited, SQLModel, table=True):
    """Identifying and contact data. Never joined into study data or exports."""

    __tablename__ = "patient_identity"
    __table_args__ = (check_in("language", LANGUAGES, "language_known"),)
    __audit_redact__ = True
    __audit_skip_fields__ = frozenset({"name_key", "phone_key", "mrn_key"})  # derived

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", unique=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    mrn: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=40)
    birth_date: date | None = None
    name_key: str | None = Field(default=None, max_length=200, index=True)
    phone_key: str | None = Field(default=None, max_length=40, index=True)
    mrn_key: str | None = Field(default=None, max_length=50, index=True)  # one per study
    email: str | None = Field(default=None, max_length=254)
    reminder_consent: bool = Field(default=False)
    # answers follow-ups by a link sent to the e-mail address, in this language
    self_report_consent: bool = Field(default=False)
    language: str = Field(default="en", max_length=5)
    consent_recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1)


class RootLaterality(Audited, SQLModel, table=True):
    """Baseline laterality of radicular involvement at one nerve root."""

    __tablename__ = "root_laterality"
    __audit_parent__ = ("patient", "patient_id")
    __table_args__ = (
        UniqueConstraint("patient_id", "root"),
        check_in("laterality", LATERALITY, "laterality_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True, ondelete="CASCADE")
    root: str = Field(max_length=10)  # e.g. "L4"
    laterality: str = Field(max_length=20)


@event.listens_for(PatientIdentity, "before_insert")
@event.listens_for(PatientIdentity, "before_update")
def keep_search_keys(_mapper: object, _connection: object, target: PatientIdentity) -> None:
    """Whatever path writes a name, a phone number or an MRN, its keys follow."""
    target.name_key = name_key(target.name)
    target.phone_key = phone_key(target.phone)
    target.mrn_key = mrn_key(target.mrn)
