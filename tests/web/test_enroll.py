"""Screening and enrollment through the web form."""

from __future__ import annotations

from sqlmodel import func, select

from clinic.demo.protocol import DEMO_STUDY
from clinic.models import AuditEvent, Enrollment, Patient, PatientIdentity, Screening
from tests.web.helpers import login


def _form(**overrides: str) -> dict[str, str]:
    form = {f"criterion.{c.code}": "yes" if c.kind == "inclusion" else "no"
            for c in DEMO_STUDY.criteria}
    form |= {"study_code": "NEW-001", "sex": "female", "age_at_enrollment": "48",
             "bmi": "27.1", "diagnosis": "Disc herniation", "symptom_duration_months": "9",
             "root.L4": "unilateral", "factor.punctures": "3", "enrolled_on": "2026-11-20",
             "name": "Synthetic Candidate", "phone": "+00 99", "email": "cand@example.invalid",
             "reminder_consent": "yes"}
    return form | overrides


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
    response = client.post(f"/studies/{clinic.study.code}/enroll",
                           data=_form(**{"criterion.vas_5_plus": "no", "site_id":
                                         str(clinic.north.id)}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Not eligible" in page
    assert "VAS score of 5 or more" in page
    assert _count(db, Screening) == screenings + 1 and _count(db, Patient) == patients
    failure = db.exec(select(Screening).order_by(Screening.id.desc())).first()
    assert failure.is_eligible is False


def test_bad_input_is_refused_next_to_the_field_and_nothing_is_stored(client, clinic, db):
    login(client, clinic.users["nurse"])
    screenings = _count(db, Screening)
    response = client.post(f"/studies/{clinic.study.code}/enroll",
                           data=_form(bmi="200", **{"factor.punctures": "9"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "BMI must be between 10 and 80" in page
    assert _count(db, Screening) == screenings


def test_a_used_study_code_is_refused(client, clinic, db):
    login(client, clinic.users["nurse"])
    response = client.post(f"/studies/{clinic.study.code}/enroll",
                           data=_form(study_code=clinic.patient.study_code))
    assert response.status_code == 422 and "already used" in response.get_data(as_text=True)
