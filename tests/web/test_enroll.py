"""Screening and enrollment through the web form."""

from __future__ import annotations

import html
from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from clinic.demo.protocol import DEMO_STUDY
from clinic.models import (
    AuditEvent,
    Enrollment,
    Patient,
    PatientIdentity,
    Screening,
    Study,
)
from tests.web.helpers import login


def _form(**overrides: str) -> dict[str, str]:
    form = {f"criterion.{c.code}": "yes" if c.kind == "inclusion" else "no"
            for c in DEMO_STUDY.criteria}
    form |= {"study_code": "NEW-001", "sex": "female", "age_at_enrollment": "48",
             "bmi": "27.1", "diagnosis": "Disc herniation", "symptom_duration_months": "9",
             "root.L4": "unilateral", "factor.punctures": "3", "enrolled_on": "2026-11-20",
             "name": "Synthetic Candidate", "phone": "+00 99", "email": "cand@example.invalid",
             "reminder_consent": "yes", "consent_on": "2026-11-20",
             "consent_version": "DEMO consent v2"}
    return form | overrides


def test_an_age_that_disagrees_with_the_date_of_birth_is_refused(client, clinic, db):
    """Found trying the screens as a new user would: age 45 beside a date of birth that
    makes 76 was enrolled; the patient page then showed both."""
    login(client, clinic.users["nurse"])
    patients = _count(db, Patient)
    response = client.post(f"/studies/{clinic.study.code}/enroll",
                           data=_form(age_at_enrollment="45", birth_date="1950-01-01"))
    assert response.status_code == 422
    assert "Born on 1950-01-01, the patient is 76 on 2026-11-20" in html.unescape(
        response.get_data(as_text=True))
    assert _count(db, Patient) == patients


def _count(db, model) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def test_an_eligible_candidate_is_enrolled_and_allocated(client, clinic, db):
    login(client, clinic.users["nurse"])
    response = client.post(f"/studies/{clinic.study.code}/enroll", data=_form())
    assert response.status_code == 302
    patient = db.exec(select(Patient).where(Patient.study_code == "NEW-001")).one()
    assert response.headers["Location"].endswith(f"/patients/{patient.id}")
    enrollment = db.exec(select(Enrollment).where(Enrollment.patient_id == patient.id)).one()
    assert enrollment.stratum == "punctures_3_4" and patient.site_id == clinic.north.id
    identity = db.exec(select(PatientIdentity).where(PatientIdentity.patient_id == patient.id))
    assert identity.one().reminder_consent is True
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "enrolled and allocated to Group" in page
    events = db.exec(select(AuditEvent).where(AuditEvent.entity == "enrollment",
                                              AuditEvent.user_id == clinic.users["nurse"].id))
    assert events.all()


def test_an_ineligible_candidate_is_refused_and_counted_as_a_screen_failure(client, clinic, db):
    login(client, clinic.users["coordinator"])
    screenings, patients = _count(db, Screening), _count(db, Patient)
    form = _form(**{"criterion.vas_5_plus": "no", "site_id": str(clinic.north.id)})
    response = client.post(f"/studies/{clinic.study.code}/enroll", data=form)
    assert response.status_code == 303  # recorded: said on a new, empty form
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("Not eligible: the candidate was not enrolled, and the screening is recorded as a "
            "screen failure.\nFailing criteria:\n• VAS score of 5 or more") in page
    assert 'value="NEW-001"' not in page and 'class="error"' not in page  # no stale errors
    assert _count(db, Screening) == screenings + 1 and _count(db, Patient) == patients
    failure = db.exec(select(Screening).order_by(Screening.id.desc())).first()
    assert failure.is_eligible is False


def test_a_screen_failure_is_not_recorded_again_by_reloading_its_page(client, clinic, db):
    """Found trying the screens as a new user would: after a screen failure the form
    stayed filled in (with a stale consent-date error), and clicking "Screen and enroll"
    again recorded a second screen failure, counted twice in the report's flow table."""
    login(client, clinic.users["coordinator"])
    screenings = _count(db, Screening)
    form = _form(**{"criterion.vas_5_plus": "no", "site_id": str(clinic.north.id),
                    "consent_signed_on": ""})
    refused = client.post(f"/studies/{clinic.study.code}/enroll", data=form,
                          follow_redirects=True)
    page = refused.get_data(as_text=True)
    assert refused.request.method == "GET" and refused.status_code == 200
    assert "Failing criteria:\n• VAS score of 5 or more" in page
    assert "signed the consent" not in page  # no error left over from the refused form
    assert _count(db, Screening) == screenings + 1


def test_a_screen_failure_needs_no_study_code_consent_or_baseline_data(client, clinic, db):
    """Found trying the screens as a new user would: a candidate who failed a criterion
    was named not eligible only once a study code, the consent and the baseline data
    had been filled in, for a patient who is not enrolled (and may never consent)."""
    login(client, clinic.users["nurse"])
    screenings, patients = _count(db, Screening), _count(db, Patient)
    form = {key: value for key, value in _form(**{"criterion.vas_5_plus": "no"}).items()
            if key.startswith("criterion.")}
    response = client.post(f"/studies/{clinic.study.code}/enroll", data=form,
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Not eligible" in page
    assert "VAS score of 5 or more" in page and 'id="study_code-error"' not in page
    assert _count(db, Screening) == screenings + 1 and _count(db, Patient) == patients
    login(client, clinic.users["coordinator"])  # no site of her own: the one thing asked
    response = client.post(f"/studies/{clinic.study.code}/enroll", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "correct the 1 field" in page
    assert "Not eligible: a criterion is not met. Choose the site" in page
    assert _count(db, Screening) == screenings + 1
    response = client.post(f"/studies/{clinic.study.code}/enroll",
                           data=form | {"site_id": str(clinic.north.id)}, follow_redirects=True)
    assert "Not eligible" in response.get_data(as_text=True)
    assert _count(db, Screening) == screenings + 2
    garbled = form | {"criterion.vas_5_plus": "maybe"}  # a checklist that did not read
    response = client.post(f"/studies/{clinic.study.code}/enroll", data=garbled)
    assert response.status_code == 422 and "Not eligible" not in response.get_data(as_text=True)
    assert _count(db, Screening) == screenings + 2


def test_bad_input_is_refused_next_to_the_field_and_nothing_is_stored(client, clinic, db):
    login(client, clinic.users["nurse"])
    screenings = _count(db, Screening)
    response = client.post(f"/studies/{clinic.study.code}/enroll",
                           data=_form(bmi="200", **{"factor.punctures": "9"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "BMI must be between 10 and 80" in page
    assert _count(db, Screening) == screenings


def test_every_problem_of_the_form_is_shown_in_one_round(client, clinic, db):
    """A used code, an age that contradicts the 'adult' answer and an unanswered
    criterion are all named on the first refusal, not one per submission."""
    login(client, clinic.users["nurse"])
    screenings = _count(db, Screening)
    response = client.post(f"/studies/{clinic.study.code}/enroll",
                           data=_form(study_code=clinic.patient.study_code,
                                      age_at_enrollment="16",
                                      **{"criterion.vas_5_plus": ""}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "already used" in page
    assert "The patient is 16 at enrollment" in page
    assert "Answer yes or no" in page
    assert _count(db, Screening) == screenings


def test_the_forms_own_problems_and_the_services_come_in_one_round(client, clinic, db):
    """Found testing as a new user would: with a date that did not read, only the form's
    own problems were named; the used code, the age against 'adult' and the consent
    version came in later rounds."""
    login(client, clinic.users["nurse"])
    screenings = _count(db, Screening)
    response = client.post(f"/studies/{clinic.study.code}/enroll", data=_form(
        enrolled_on="2026-02-30", consent_on="yesterday", consent_version="",
        study_code=clinic.patient.study_code, age_at_enrollment="16",
        **{"factor.punctures": "abc"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("2026-02-30 is no day of the calendar", "already used",
                    "The patient is 16 at enrollment", 'id="consent_version-error"',
                    'id="factor-punctures-error"'):
        assert message in page, message
    assert _count(db, Screening) == screenings


def test_a_used_study_code_is_refused(client, clinic, db):
    login(client, clinic.users["nurse"])
    response = client.post(f"/studies/{clinic.study.code}/enroll",
                           data=_form(study_code=clinic.patient.study_code))
    assert response.status_code == 422 and "already used" in response.get_data(as_text=True)
    other_case = client.post(f"/studies/{clinic.study.code}/enroll",
                             data=_form(study_code=clinic.patient.study_code.lower()))
    assert other_case.status_code == 422, "case does not tell two patients apart"
    assert f"(as &#39;{clinic.patient.study_code}&#39;)" in other_case.get_data(as_text=True)


@pytest.mark.parametrize("code", ["HA\u00a001", "HA\t01", "HA\u200b01"])
def test_an_invisible_character_in_a_code_is_named(client, clinic, db, code):
    login(client, clinic.users["nurse"])
    patients = _count(db, Patient)
    response = client.post(f"/studies/{clinic.study.code}/enroll", data=_form(study_code=code),
                           follow_redirects=True)
    assert "invisible" in response.get_data(as_text=True)  # the field, or the whole form
    assert _count(db, Patient) == patients


@pytest.mark.parametrize("diagnosis", ["\ufeff", "Disc\u2060herniation", "\u200e"])
def test_a_field_of_invisible_characters_is_refused(client, clinic, db, diagnosis):
    """Found testing as a new user would: a byte-order mark alone was stored as the
    diagnosis (it reads as empty)."""
    login(client, clinic.users["nurse"])
    patients = _count(db, Patient)
    response = client.post(f"/studies/{clinic.study.code}/enroll",
                           data=_form(diagnosis=diagnosis))
    assert response.status_code == 303, "refused, and the form kept"
    assert _count(db, Patient) == patients
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "held an invisible control or text-direction character" in page
    assert "Below is what you typed, without the invisible characters" in page
    cleaned = diagnosis.replace("\ufeff", "").replace("\u2060", "").replace("\u200e", "")
    assert f'value="{cleaned}"' in page and 'value="NEW-001"' in page, "nothing typed is lost"


def test_a_phone_number_with_words_is_refused_on_its_field(client, clinic, db):
    login(client, clinic.users["nurse"])
    response = client.post(f"/studies/{clinic.study.code}/enroll", data=_form(phone="call me"))
    assert response.status_code == 422
    assert "A phone number holds digits" in response.get_data(as_text=True)


@pytest.mark.parametrize("code", ["ctus 011", "P-011 ü", "-P011", "P011;", "ＰＯ１"])
def test_a_new_study_code_is_letters_digits_and_dashes(client, clinic, db, code):
    login(client, clinic.users["nurse"])
    patients = _count(db, Patient)
    response = client.post(f"/studies/{clinic.study.code}/enroll", data=_form(study_code=code))
    assert response.status_code == 422
    assert "Use letters (A-Z), digits and - _ . only" in response.get_data(as_text=True)
    assert _count(db, Patient) == patients
    fine = client.post(f"/studies/{clinic.study.code}/enroll",
                       data=_form(study_code=" P-011_b.2 "))
    assert fine.status_code == 302 and _count(db, Patient) == patients + 1


def test_informed_consent_is_recorded_and_required(client, clinic, db):
    login(client, clinic.users["nurse"])
    missing = client.post(f"/studies/{clinic.study.code}/enroll",
                          data=_form(consent_on="", consent_version=""))
    page = missing.get_data(as_text=True)
    assert missing.status_code == 422
    assert "Enter the date the patient signed" in page and "version of the consent" in page
    future = client.post(f"/studies/{clinic.study.code}/enroll",
                         data=_form(consent_on="2099-01-01"))
    assert future.status_code == 422
    assert client.post(f"/studies/{clinic.study.code}/enroll", data=_form()).status_code == 302
    patient = db.exec(select(Patient).where(Patient.study_code == "NEW-001")).one()
    enrollment = db.exec(select(Enrollment).where(Enrollment.patient_id == patient.id)).one()
    assert (enrollment.consent_on.isoformat(), enrollment.consent_version,
            enrollment.consent_taken_by_id) == ("2026-11-20", "DEMO consent v2",
                                                clinic.users["nurse"].id)
    shown = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "form “DEMO consent v2”" in shown


def test_a_registry_registers_without_allocation_and_groups_by_the_procedure(client, clinic,
                                                                             db):
    from pathlib import Path

    from clinic.protocol.protocol_file import read_toml
    from clinic.studies.protocols import create_from_document

    text = (Path(__file__).resolve().parents[2] / "docs" / "protocols" /
            "us-mri-fusion-registry.toml").read_text()
    create_from_document(db, read_toml(text), draft=False)
    db.commit()
    login(client, clinic.users["nurse"])
    answers = {f"criterion.{c}": "yes" for c in ("age_20_75", "chronic_pain_candidate",
                                                 "nrs_6_plus", "ct_mri_done")}
    answers |= {f"criterion.{c}": "no" for c in ("organ_impairment", "uncontrolled_diabetes",
                                                "infection", "coagulopathy",
                                                "mri_contraindication")}
    form = {**{k: v for k, v in _form().items() if not k.startswith(("criterion.", "factor."))},
            **answers, "study_code": "REG-001"}
    response = client.post("/studies/USMRI/enroll", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    patient = db.exec(select(Patient).where(Patient.study_code == "REG-001")).one()
    enrollment = db.exec(select(Enrollment).where(Enrollment.patient_id == patient.id)).one()
    assert enrollment.arm_id is None and enrollment.allocation_slot_id is None
    page = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "none yet: set by the modality of the index procedure" in page
    login(client, clinic.users["physician"])
    recorded = client.post(f"/patients/{patient.id}/procedures/new", data={
        "performed_at": f"{date.today().isoformat()}T10:00", "modality": "us_mri_fusion",
        "procedure_type": "paravertebral_block", "punctures": "1",
        "target-0-level": "L4-L5", "target-0-side": "left"})
    assert recorded.status_code == 302
    db.expire_all()
    enrollment = db.exec(select(Enrollment).where(Enrollment.patient_id == patient.id)).one()
    from clinic.models import StudyArm

    assert db.get(StudyArm, enrollment.arm_id).code == "IF"
    study = db.exec(select(Study).where(Study.code == "USMRI")).one()
    cohort = client.get(f"/cohort?study={study.id}").get_data(as_text=True)
    assert 'id="not-randomized"' in cohort and "not randomized" in cohort
    randomized = client.get(f"/cohort?study={clinic.study.id}").get_data(as_text=True)
    assert 'id="not-randomized"' not in randomized


def test_the_screening_log_lists_outcomes_and_exports(client, clinic, db):
    login(client, clinic.users["nurse"])
    client.post(f"/studies/{clinic.study.code}/enroll", data=_form())
    failing = {f"criterion.{c.code}": "yes" for c in DEMO_STUDY.criteria}
    client.post(f"/studies/{clinic.study.code}/enroll", data=_form(study_code="NO-1", **failing))
    page = client.get(f"/studies/{clinic.study.code}/screening").get_data(as_text=True)
    assert "NEW-001" in page and "Not eligible" in page
    assert "Progressive motor neurological deficit" in page
    only = client.get(f"/studies/{clinic.study.code}/screening?outcome=not_eligible")
    assert "NEW-001" not in only.get_data(as_text=True)
    csv_text = client.get(f"/studies/{clinic.study.code}/screening.csv").get_data(as_text=True)
    assert csv_text.startswith("screening,screened_at,site") and "NEW-001" in csv_text
    south = client.get(f"/studies/{clinic.study.code}/screening")
    assert south.status_code == 200
    bad = client.get(f"/studies/{clinic.study.code}/screening?from=2026-13-01")
    assert bad.status_code == 422


@pytest.mark.parametrize("extra", ["code=x", "endpoint=x", "_method=POST", "_external=1",
                                   "_anchor=x&before=1"])
def test_the_screening_log_keeps_only_its_filters_in_the_download_link(client, clinic, extra):
    """The CSV link was built from every parameter of the address: ``code`` or
    ``endpoint`` there was a 500, ``_external`` made it absolute."""
    login(client, clinic.users["coordinator"])
    page = client.get(f"/studies/{clinic.study.code}/screening?outcome=eligible&{extra}")
    assert page.status_code == 200
    link = f'href="/studies/{clinic.study.code}/screening.csv?outcome=eligible"'
    assert link in page.get_data(as_text=True)


# Found by fuzzing and by trying the screens as a new user would: each was stored.

def test_an_unanswered_checklist_is_refused_not_counted_as_a_screen_failure(client, clinic, db):
    login(client, clinic.users["nurse"])
    screenings = _count(db, Screening)
    blank = {f"criterion.{c.code}": "" for c in DEMO_STUDY.criteria}
    response = client.post(f"/studies/{clinic.study.code}/enroll", data=_form(**blank))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "every criterion is answered" in page
    assert _count(db, Screening) == screenings
    one_fails = blank | {"criterion.vas_5_plus": "no"}  # the rest need not be asked
    response = client.post(f"/studies/{clinic.study.code}/enroll", data=_form(**one_fails),
                           follow_redirects=True)
    page = html.unescape(response.get_data(as_text=True))
    assert "Failing criteria:\n• VAS score of 5 or more\nNot asked, once another had " \
        "failed:\n• " in page  # each on its line (the flash keeps line breaks)
    assert _count(db, Screening) == screenings + 1
    log = html.unescape(client.get(f"/studies/{clinic.study.code}/screening")
                        .get_data(as_text=True))
    assert "VAS score of 5 or more" in log and "not answered" not in log  # not a reason
    assert "Pregnancy" not in log


def test_an_answer_other_than_yes_or_no_is_refused(client, clinic, db):
    login(client, clinic.users["nurse"])
    response = client.post(f"/studies/{clinic.study.code}/enroll",
                           data=_form(**{"criterion.vas_5_plus": "maybe"}))
    assert response.status_code == 422 and "yes or no" in response.get_data(as_text=True)


def test_a_person_is_enrolled_once_per_study(client, clinic, db):
    login(client, clinic.users["nurse"])
    first = client.post(f"/studies/{clinic.study.code}/enroll", data=_form(mrn="MRN-77"))
    assert first.status_code == 302
    patients = _count(db, Patient)
    again = client.post(f"/studies/{clinic.study.code}/enroll",
                        data=_form(mrn=" mrn-77 ", study_code="NEW-002"))  # case, spaces
    page = again.get_data(as_text=True)
    assert again.status_code == 422 and "enrolled in DEMO already, as NEW-001" in page
    assert _count(db, Patient) == patients
    client.post("/logout")
    login(client, clinic.users["nurse_south"])  # another site: not told which patient
    elsewhere = client.post(f"/studies/{clinic.study.code}/enroll",
                            data=_form(mrn="MRN-77", study_code="NEW-003"))
    page = elsewhere.get_data(as_text=True)
    assert elsewhere.status_code == 422 and "enrolled in DEMO already, at another site" in page
    assert "NEW-001" not in page and _count(db, Patient) == patients


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"enrolled_on": str(date.today() + timedelta(days=30))}, "enrolled_on",
     "cannot be in the future"),
    ({"consent_on": "2026-11-21"}, "consent_on", "on or before the enrollment day (2026-11-20)"),
    ({"consent_on": "1990-01-01", "enrolled_on": "1990-01-01"}, "consent_on", "year 2000 on"),
    ({"birth_year": "1990", "age_at_enrollment": "20"}, "age_at_enrollment", "35 or 36"),
    ({"birth_year": "1990", "age_at_enrollment": "", "birth_date": "1976-03-03"},
     "birth_year", "differs from the date of birth"),
])
def test_dates_and_ages_that_contradict_each_other_are_refused(client, clinic, db, fields,
                                                               field, words):
    login(client, clinic.users["nurse"])
    patients = _count(db, Patient)
    response = client.post(f"/studies/{clinic.study.code}/enroll", data=_form(**fields))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}-error"' in page and words in page
    assert _count(db, Patient) == patients


@pytest.mark.parametrize("ages, refused", [
    ({"age_at_enrollment": "16"}, "The patient is 16 at enrollment"),
    ({"age_at_enrollment": "", "birth_year": "2010"}, "The patient is 15 or 16 at enrollment"),
    ({"age_at_enrollment": "18"}, None),
    ({"age_at_enrollment": "", "birth_year": "2008"}, None),  # 17 or 18: may be 18
])
def test_a_yes_to_the_adult_criterion_agrees_with_the_age(client, clinic, db, ages, refused):
    """Found trying the screens as a new user would: 'Adult aged 18 or older' was free
    text, so a 16-year-old was enrolled with it ticked yes. The seed trial's criterion
    now carries its age limit (age_at_least = 18)."""
    login(client, clinic.users["nurse"])
    patients = _count(db, Patient)
    response = client.post(f"/studies/{clinic.study.code}/enroll",
                           data=_form(enrolled_on="2026-11-20", consent_on="2026-11-20", **ages))
    page = response.get_data(as_text=True)
    if refused is None:
        assert response.status_code == 302, page[:2000]
        assert _count(db, Patient) == patients + 1
        return
    assert response.status_code == 422
    assert f"{refused}: this criterion asks 18 years or older" in page
    assert 'id="criterion-age_18_plus-error"' in page
    assert _count(db, Patient) == patients


def test_self_report_consent_is_asked_only_by_a_study_that_sends_links(client, clinic, db):
    """Found testing as a new user would: a study without self-report offered the
    consent to answer by e-mailed links, and a tick did nothing."""
    from clinic.models import Study
    from clinic.patients.identity import identity_of
    from tests.factories import make_patient

    login(client, clinic.users["nurse"])
    assert "self_report_consent" in client.get(
        f"/studies/{clinic.study.code}/enroll").get_data(as_text=True)
    study = db.get(Study, clinic.study.id)
    study.self_report = None
    db.add(study)
    db.commit()
    assert "self_report_consent" not in client.get(
        f"/studies/{clinic.study.code}/enroll").get_data(as_text=True)
    patient, _ = make_patient(db, study, site=clinic.north, self_report=True)
    db.commit()
    contact = client.get(f"/patients/{patient.id}/contact").get_data(as_text=True)
    assert 'type="hidden" name="self_report_consent" value="yes"' in contact
    assert "Consents to answer follow-ups" not in contact
    assert identity_of(db, patient).self_report_consent


def test_the_stratification_field_says_which_values_make_which_stratum(client, clinic):
    """Found testing as a new user would: the form asked for "levels" with no hint of the
    values its bins take."""
    from clinic.protocol.allocation import Bin
    from clinic.web.enroll import _bin_words

    login(client, clinic.users["nurse"])
    page = client.get(f"/studies/{clinic.study.code}/enroll").get_data(as_text=True)
    assert "decides the stratum: 1–2, 3–4, 5–6" in page
    assert _bin_words("levels", Bin("single", 1, 1)) == "1 single"
    assert _bin_words("levels", Bin("multi", 2, 4)) == "2–4 multi"


def test_contact_data_that_will_not_work_is_enrolled_with_a_warning(client, clinic, db):
    """Two leftovers of attacking the mail: an address beyond ASCII was warned about on
    the contact page only, and a self-report link that asks for a date of birth nobody
    recorded was never sent, with no word at enrollment."""
    from clinic.models import Study
    from clinic.selfreport.ladder import LadderSpec

    study = db.get(Study, clinic.study.id)
    study.self_report = LadderSpec(second_factor="birth_date").to_json()
    db.add(study)
    db.commit()
    login(client, clinic.users["nurse"])
    enrolled = client.post(f"/studies/{clinic.study.code}/enroll", follow_redirects=True,
                           data=_form(email="jöhn@example.invalid", self_report_consent="yes"))
    page = enrolled.get_data(as_text=True)
    assert "enrolled and allocated" in page
    assert "jöhn@example.invalid holds letters beyond plain ASCII" in page
    assert "No date of birth is recorded: the study&#39;s self-report link asks" in page
    quiet = client.post(f"/studies/{clinic.study.code}/enroll", follow_redirects=True,
                        data=_form(study_code="NEW-002", mrn="MRN-2", self_report_consent="yes",
                                   birth_date="1978-05-04"))  # 48 on 2026-11-20
    page = quiet.get_data(as_text=True)
    assert "enrolled and allocated" in page and "No date of birth" not in page
    assert "beyond plain ASCII" not in page
