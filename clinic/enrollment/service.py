"""Screening against the checklist, then enrollment with a concealed allocation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, func, select

from clinic.audit import insert_audited
from clinic.contact.keys import mrn_key
from clinic.enrollment.exceptions import NotEligible
from clinic.enrollment.inputs import (
    ConsentInput,
    IdentityInput,
    PatientInput,
    new_code_problem,
    validate_consent,
    validate_identity,
    validate_patient,
)
from clinic.enrollment.randomization import next_free_slot
from clinic.exceptions import ValidationError
from clinic.locks.guard import hold_targets
from clinic.models import (
    EligibilityCriterion,
    Enrollment,
    Patient,
    PatientIdentity,
    RootLaterality,
    Screening,
    ScreeningAnswer,
    Site,
    Study,
)
from clinic.models.base import utcnow
from clinic.protocol.allocation import stratum_for
from clinic.protocol.definition import REGISTRY, strata_from_json
from clinic.protocol.eligibility_rules import (
    Criterion,
    CriterionKind,
    age_contradictions,
    evaluate,
)
from clinic.protocol.exceptions import StratumError
from clinic.reminders import reconcile_patient_reminders
from clinic.scheduling.service import create_baseline
from clinic.studies.setup import study_roots

NOT_ASKED = " (not asked)"  # the mark of a criterion left unanswered among the problems


def screen(session: Session, *, study: Study, site_id: int, answers: dict[str, bool | None],
           actor_id: int | None,
           screened_at: datetime | None = None) -> tuple[Screening, list[str]]:
    """Record a screening; returns it and the failing criteria (text), then those left
    unanswered (marked NOT_ASKED: a checklist stops being asked once one fails).
    ``screened_at``: when it took place, if not now (the demo's past screenings)."""
    rows = session.exec(select(EligibilityCriterion)
                        .where(EligibilityCriterion.study_id == study.id)).all()
    unknown = set(answers) - {c.code for c in rows}
    if unknown:
        raise ValidationError({f"answers.{code}": "Not a criterion of this study."
                               for code in sorted(unknown)})
    criteria = [Criterion(c.code, CriterionKind(c.kind), c.text) for c in rows]
    result = evaluate(criteria, {c.code: answers.get(c.code) for c in rows})
    screening = Screening(study_id=study.id, site_id=site_id, screened_by_id=actor_id,
                          is_eligible=result.is_eligible,  # type: ignore[arg-type]
                          screened_at=screened_at or utcnow())
    session.add(screening)
    session.flush()
    _store_answers(session, screening.id, [(c.id, answers.get(c.code)) for c in rows])  # type: ignore[misc]
    problems = [c.text for c in result.failing]
    problems += [c.text + NOT_ASKED for c in result.unanswered]
    return screening, problems


def fails_a_criterion(session: Session, study: Study, answers: dict[str, bool | None]) -> bool:
    """Whether an answer already fails a criterion (an inclusion answered no, an
    exclusion yes): the candidate is a screen failure whatever else the form holds."""
    rows = session.exec(select(EligibilityCriterion)
                        .where(EligibilityCriterion.study_id == study.id)).all()
    criteria = [Criterion(c.code, CriterionKind(c.kind), c.text) for c in rows]
    return bool(evaluate(criteria, {c.code: answers.get(c.code) for c in rows}).failing)


def _store_answers(session: Session, screening_id: int,
                   answers: list[tuple[int, bool | None]]) -> None:
    """The checklist's answers (a dozen or more) as one audited INSERT."""
    insert_audited(session, ScreeningAnswer,
                   [{"screening_id": screening_id, "criterion_id": criterion_id,
                     "answer": answer} for criterion_id, answer in answers],
                   key=("criterion_id",))


def check_screening_inputs(session: Session, study: Study, site_id: int,
                           answers: dict[str, bool | None], patient: PatientInput,
                           identity: IdentityInput | None, factors: dict[str, int],
                           enrolled_on: date, consent: ConsentInput | None) -> None:
    """Every problem of the screening visit's inputs in one ValidationError, so a form
    is corrected in one round rather than one field per submission. A check that reads
    a value another check refused (the age, the birth date) waits for it to be right."""
    errors: dict[str, str] = {}

    def passes(check: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        try:
            check(*args, **kwargs)
        except ValidationError as error:
            for name, message in error.errors.items():
                errors.setdefault(name, message)
            return False
        return True

    patient_ok = passes(validate_patient, patient, enrolled_on, study_roots(study))
    if identity is not None and passes(validate_identity, identity) and patient_ok:
        passes(_check_birth_agrees, patient, identity, enrolled_on)
    if consent is not None:
        passes(validate_consent, consent, None, enrolled_on=enrolled_on)
    if session.get(Site, site_id) is None:
        errors.setdefault("site_id", "Choose a site from the list.")
    passes(_stratum, study, factors)
    passes(_check_code_free, session, study.id, patient.study_code.strip())
    passes(_check_answered, session, study, answers, patient if patient_ok else None,
           enrolled_on)
    if identity is not None and identity.mrn:
        passes(_check_mrn_free, session, study, site_id, identity.mrn.strip())
    if errors:
        raise ValidationError(errors)


def check_open(study: Study) -> None:
    """Enrollment only into an active study (a draft is not started, a closed one is)."""
    if study.status == "planning":
        raise ValidationError({"study": f"{study.code} is a draft: a coordinator activates it "
                                        "before the first enrollment."})
    if study.status != "recruiting":
        raise ValidationError({"study": f"Enrollment into {study.code} is closed."})


def enroll(session: Session, *, study: Study, screening: Screening, patient: PatientInput,
           identity: IdentityInput | None, factors: dict[str, int], enrolled_on: date,
           actor_id: int | None, consent: ConsentInput | None = None,
           randomized_at: datetime | None = None) -> Enrollment:
    """Enroll an eligible screened candidate: allocate (randomized) or register (registry),
    record the consent, plan the baseline. ``randomized_at``: when, if not now (the
    demo's past enrollments).

    ``consent`` None: consent signed on the enrollment day on the study's current form
    (the demo and the tests; the screens always ask).
    """
    if not screening.is_eligible:
        raise NotEligible(_failing_criteria(session, screening))
    if screening.patient_id is not None:
        raise ValidationError({"screening": "This screening already led to an enrollment."})
    check_open(study)
    validate_patient(patient, enrolled_on, study_roots(study))
    if identity is not None:
        validate_identity(identity)
        _check_birth_agrees(patient, identity, enrolled_on)
    consent = consent or ConsentInput(enrolled_on, study.consent_version or "not recorded",
                                      actor_id)
    validate_consent(consent, None, enrolled_on=enrolled_on)
    stratum = _stratum(study, factors)
    _check_code_free(session, study.id, patient.study_code.strip())  # type: ignore[arg-type]
    registry = study.design_type == REGISTRY
    slot = None if registry else next_free_slot(session, study.id, stratum)  # type: ignore[arg-type]
    record = _register(session, study, screening.site_id, patient, identity)
    enrollment = Enrollment(
        patient_id=record.id, study_id=study.id, arm_id=slot.arm_id if slot else None,  # type: ignore[arg-type]
        stratum=stratum, allocation_slot_id=slot.id if slot else None,
        enrolled_on=enrolled_on, randomized_at=randomized_at or utcnow(),
        randomized_by_id=actor_id,
        consent_on=consent.signed_on, consent_version=(consent.form_version or "").strip(),
        consent_taken_by_id=consent.taken_by_id or actor_id)
    session.add(enrollment)
    screening.patient_id = record.id
    session.add(screening)
    session.flush()
    create_baseline(session, patient=record, anchor=enrolled_on)
    return enrollment


def _stratum(study: Study, factors: dict[str, int]) -> str:
    rules = strata_from_json(study.strata_rules or [])
    if not rules or study.design_type == REGISTRY:
        return "all"
    try:
        return stratum_for(factors, rules)
    except StratumError as error:
        raise ValidationError({"stratum": str(error)}) from error


def _check_code_free(session: Session, study_id: int, code: str) -> None:
    problem = new_code_problem(code)
    if problem:
        raise ValidationError({"study_code": problem})
    # case does not tell two patients apart (a monitor reading "ha-01" and "HA-01" would
    # take them for one); the study's codes are read once, at enrollment only
    taken = session.exec(select(Patient.study_code).where(
        Patient.study_id == study_id, func.upper(Patient.study_code) == code.upper())).first()
    if taken is not None:
        raise ValidationError({"study_code": f"Study code {code!r} is already used"
                                             + (f" (as {taken!r})." if taken != code else ".")})


def _check_answered(session: Session, study: Study, answers: dict[str, bool | None],
                    patient: PatientInput | None, enrolled_on: date) -> None:
    """A checklist left unanswered is not a screen failure: every criterion is answered,
    unless one answered already fails (the rest need not be asked then). A 'yes' to a
    criterion with age limits agrees with the age entered."""
    rows = session.exec(select(EligibilityCriterion)
                        .where(EligibilityCriterion.study_id == study.id)).all()
    criteria = [Criterion(c.code, CriterionKind(c.kind), c.text, c.age_at_least, c.age_at_most)
                for c in rows]
    given = {c.code: answers.get(c.code) for c in rows}
    result = evaluate(criteria, given)
    errors: dict[str, str] = {}
    if result.unanswered and not result.failing:
        errors = {f"criterion.{c.code}": "Answer yes or no: a candidate is eligible only "
                  "when every criterion is answered." for c in result.unanswered}
    ages = _possible_ages(patient, enrolled_on) if patient is not None else []
    errors |= {f"criterion.{code}": text
               for code, text in age_contradictions(criteria, given, ages).items()}
    if errors:
        raise ValidationError(errors)


def _possible_ages(patient: PatientInput, enrolled_on: date) -> list[int]:
    """The age given at enrollment, or both ages a birth year allows."""
    if patient.age_at_enrollment is not None:
        return [int(patient.age_at_enrollment)]
    if patient.birth_year is not None:
        years = enrolled_on.year - patient.birth_year
        return [years - 1, years]
    return []


def _check_mrn_free(session: Session, study: Study, site_id: int, mrn: str) -> None:
    """One enrollment per person and study (the MRN's case and spaces do not count).
    Concurrent enrollments of one MRN wait for each other (PostgreSQL: an advisory lock
    on the study and MRN; SQLite writes one at a time), so the second sees the first.
    The patient already enrolled is named only to the same site: a nurse elsewhere would
    learn which study code goes with an MRN."""
    key = mrn_key(mrn)
    hold_targets(session, {f"mrn:{study.id}:{key}"}, exclusive=True)
    taken = session.exec(select(Patient.study_code, Patient.site_id)
                         .join(PatientIdentity, PatientIdentity.patient_id == Patient.id)  # type: ignore[arg-type]
                         .where(Patient.study_id == study.id,
                                PatientIdentity.mrn_key == key)).first()
    if taken is None:
        return
    where = f"as {taken[0]}" if taken[1] == site_id else "at another site"
    raise ValidationError({"mrn": f"This MRN is enrolled in {study.code} already, {where}: "
                                  "a person is enrolled once per study."})


def _check_birth_agrees(patient: PatientInput, identity: IdentityInput,
                        enrolled_on: date | None = None) -> None:
    """The date of birth, the birth year and the age at enrollment tell one story (an age
    of 45 beside a date of birth that makes 76 was kept, found trying the screens as a
    new user would)."""
    born = identity.birth_date
    if born is None or born == date.min:
        return
    if patient.birth_year is not None and born.year != patient.birth_year:
        raise ValidationError({"birth_year": f"The birth year differs from the date of "
                                             f"birth ({born.isoformat()})."})
    on = enrolled_on or date.today()
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if patient.age_at_enrollment is not None and patient.age_at_enrollment != age:
        raise ValidationError({"age_at_enrollment": (
            f"Born on {born.isoformat()}, the patient is {age} on {on.isoformat()}: "
            "correct the age or the date of birth.")})


def _register(session: Session, study: Study, site_id: int, p: PatientInput,
              identity: IdentityInput | None) -> Patient:
    record = Patient(study_id=study.id, study_code=p.study_code.strip(), site_id=site_id,  # type: ignore[arg-type]
                     sex=p.sex, birth_year=p.birth_year, age_at_enrollment=p.age_at_enrollment,
                     bmi=p.bmi, diagnosis=p.diagnosis,
                     symptom_duration_months=p.symptom_duration_months)
    session.add(record)
    session.flush()
    insert_audited(session, RootLaterality,
                   [{"patient_id": record.id, "root": root, "laterality": laterality}
                    for root, laterality in sorted(p.root_laterality.items())], key=("root",))
    if identity is not None:
        session.add(PatientIdentity(
            patient_id=record.id, name=identity.name.strip(), mrn=identity.mrn,  # type: ignore[arg-type]
            phone=identity.phone, email=identity.email, birth_date=identity.birth_date,
            reminder_consent=identity.reminder_consent,
            self_report_consent=identity.self_report_consent, language=identity.language,
            consent_recorded_at=utcnow() if identity.reminder_consent else None))
    return record


def _failing_criteria(session: Session, screening: Screening) -> list[str]:
    rows = session.exec(
        select(EligibilityCriterion, ScreeningAnswer.answer)
        .join(ScreeningAnswer, ScreeningAnswer.criterion_id == EligibilityCriterion.id)
        .where(ScreeningAnswer.screening_id == screening.id)).all()
    failing = [c.text for c, answer in rows
               if answer is not None and answer != (c.kind == "inclusion")]
    return failing + [c.text + NOT_ASKED for c, answer in rows if answer is None]


def withdraw(session: Session, *, enrollment: Enrollment, reason: str,
             actor_id: int | None) -> Enrollment:
    """Withdraw a patient: pending follow-ups become 'not done' with the reason."""
    from clinic.models import Assessment

    if not reason.strip():
        raise ValidationError({"withdrawal_reason": "Say why the patient withdrew."})
    if enrollment.status != "enrolled":
        raise ValidationError({"status": "Only an enrolled patient can be withdrawn."})
    enrollment.status = "withdrawn"
    enrollment.withdrawal_reason = reason.strip()
    enrollment.withdrawn_at = utcnow()
    enrollment.version += 1
    session.add(enrollment)
    for assessment in session.exec(select(Assessment).where(
            Assessment.patient_id == enrollment.patient_id, Assessment.state == "pending")):
        assessment.state = "not_done"
        assessment.not_done_reason = f"Withdrawn: {reason.strip()}"
        assessment.completed_by_id = actor_id
        assessment.version += 1
        session.add(assessment)
    session.flush()
    reconcile_patient_reminders(session, enrollment.patient_id)  # cancels pending reminders
    return enrollment


def withdrawal_of(session: Session, patient_id: int) -> str | None:
    """The withdrawal's reason (and day) when the patient withdrew, else None."""
    found = session.exec(select(Enrollment.withdrawal_reason, Enrollment.withdrawn_at).where(
        Enrollment.patient_id == patient_id, Enrollment.status == "withdrawn")).first()
    if found is None:
        return None
    reason, when = found
    return f"{reason or 'no reason given'}" + (f", {when:%Y-%m-%d}" if when else "")


def screen_and_enroll(session: Session, *, study: Study, site_id: int,
                      answers: dict[str, bool | None], patient: PatientInput,
                      identity: IdentityInput | None, factors: dict[str, int],
                      enrolled_on: date, actor_id: int | None,
                      consent: ConsentInput | None = None,
                      ) -> tuple[Screening, Enrollment | None, list[str]]:
    """The screening visit: check every input first, then record the screening and,
    when the candidate is eligible, enroll with the next concealed allocation.

    Bad input raises ValidationError before anything is stored. An ineligible
    candidate leaves only the screening (a screen failure for the flow diagram)
    and the failing criteria are returned.
    """
    check_open(study)
    check_screening_inputs(session, study, site_id, answers, patient, identity, factors,
                           enrolled_on, consent)
    screening, problems = screen(session, study=study, site_id=site_id, answers=answers,
                                 actor_id=actor_id)
    if problems:
        return screening, None, problems
    enrollment = enroll(session, study=study, screening=screening, patient=patient,
                        identity=identity, factors=factors, enrolled_on=enrolled_on,
                        actor_id=actor_id, consent=consent)
    return screening, enrollment, []
