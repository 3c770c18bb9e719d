"""Factories for tests: studies, users, patients and procedures built through the services."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from clinic.auth.service import create_user
from clinic.demo.protocol import DEMO_STUDY
from clinic.enrollment.inputs import IdentityInput, PatientInput
from clinic.enrollment.randomization import generate_allocation_sequence
from clinic.enrollment.service import enroll, screen
from clinic.models import Assessment, Enrollment, Patient, Procedure, Site, Study, User
from clinic.models.base import utcnow
from clinic.procedures.checks import KNOWN_ONCE_DONE
from clinic.procedures.inputs import InjectateInput, ProcedureInput, TargetInput
from clinic.procedures.service import record_procedure
from clinic.protocol.definition import StudyDefinition
from clinic.studies.setup import create_study, criteria, study_roots

PASSWORD = "test-password-1"
_sequence = count(1)


def make_site(session: Session, code: str = "NORTH") -> Site:
    site = session.exec(select(Site).where(Site.code == code)).first()
    if site is None:
        site = Site(code=code, name=f"{code} site")
        session.add(site)
        session.flush()
    return site


def make_user(session: Session, role: str = "nurse", site: Site | None = None,
              email: str | None = None) -> User:
    site = site or make_site(session)
    return create_user(session, email=email or f"{role}{next(_sequence)}@test.invalid",
                       name=f"Test {role}", role=role, password=PASSWORD,
                       site_code=site.code if role == "nurse" else None)


def make_study(session: Session, definition: StudyDefinition = DEMO_STUDY,
               seed: int = 7) -> Study:
    study = create_study(session, definition)
    generate_allocation_sequence(session, study, seed=seed, slots_per_stratum=40)
    return study


def eligible_answers(definition: StudyDefinition = DEMO_STUDY) -> dict[str, bool | None]:
    return {c.code: c.kind == "inclusion" for c in definition.criteria}


def make_patient(session: Session, study: Study, *, site: Site | None = None,
                 punctures: int = 2, enrolled_on: date = date(2026, 1, 10),
                 consent: bool = True, self_report: bool = False, language: str = "en",
                 birth_date: date | None = None, **overrides: Any) -> tuple[Patient, Enrollment]:
    site = site or make_site(session)
    n = next(_sequence)
    answers = {c.code: c.kind == "inclusion" for c in criteria(session, study.id)}  # type: ignore[arg-type]
    screening, problems = screen(session, study=study, site_id=site.id,  # type: ignore[arg-type]
                                 answers=answers, actor_id=None)
    assert not problems
    asked = "L4" in study_roots(study)  # a study asks its own roots, or none
    age = 50 if birth_date is None else enrolled_on.year - birth_date.year - (
        (enrolled_on.month, enrolled_on.day) < (birth_date.month, birth_date.day))
    values = {"study_code": f"T-{n:04d}", "sex": "female", "age_at_enrollment": age,
              "bmi": 27.5, "root_laterality": {"L4": "unilateral"} if asked else {},
              **overrides}
    identity = IdentityInput(name=f"Test Patient {n}", phone="+00 1",
                             email=f"patient{n}@example.invalid", reminder_consent=consent,
                             self_report_consent=self_report, language=language,
                             birth_date=birth_date)
    enrollment = enroll(session, study=study, screening=screening,
                        patient=PatientInput(**values), identity=identity,
                        factors={"punctures": punctures}, enrolled_on=enrolled_on, actor_id=None,
                        randomized_at=min(utcnow(), datetime.combine(enrolled_on, time(7),
                                                                     tzinfo=UTC)))
    patient = session.get(Patient, enrollment.patient_id)  # randomized on its day
    assert patient is not None
    return patient, enrollment


def procedure_input(modality: str = "fluoroscopy", when: datetime | None = None,
                    **overrides: Any) -> ProcedureInput:
    radiation: dict[str, Any] = {}
    if modality == "fluoroscopy":
        radiation = {"dap_mgy_cm2": 350.0, "fluoroscopy_time_s": 60.0}
    elif modality == "ct":
        radiation = {"dlp_mgy_cm": 340.0, "ctdivol_mgy": 9.5}
    values: dict[str, Any] = {
        "performed_at": when or datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
        "modality": modality, "procedure_type": "tfesi_prf", "punctures": 2,
        "targets": (TargetInput("L4-L5", "bilateral"),),
        "injectates": (InjectateInput("lidocaine", 1.0, 1.5), InjectateInput("dexamethasone",
                                                                             dose_mg=8.0)),
        "operative_time_min": 22.5, **radiation, **overrides}
    zone = ZoneInfo("Europe/Berlin")
    if values["performed_at"].astimezone(zone).date() > datetime.now(zone).date():
        for name in set(KNOWN_ONCE_DONE) - set(overrides):  # planned: not known yet
            values.pop(name, None)
    return ProcedureInput(**values)


def make_procedure(session: Session, patient: Patient, **overrides: Any) -> Procedure:
    return record_procedure(session, patient=patient, data=procedure_input(**overrides),
                            timezone="Europe/Berlin")


def assessments_of(session: Session, patient: Patient) -> list[Assessment]:
    return list(session.exec(select(Assessment).where(Assessment.patient_id == patient.id)
                             .order_by(Assessment.target_date)).all())
