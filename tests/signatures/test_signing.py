"""Signing a patient's data on the screen, and the signature voided by later changes."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from clinic.audit import set_actor
from clinic.db import get_engine
from clinic.followup.service import record_follow_up
from clinic.models import Assessment, Patient, Signature, User
from clinic.signatures.service import sign, signature_states
from tests.factories import PASSWORD
from tests.web.helpers import login, odi_form


@pytest.fixture
def signed(app, clinic):
    """The due visit recorded (VAS, ODI, a medication), then signed by the physician."""
    with Session(get_engine(app), expire_on_commit=False) as session:
        nurse = clinic.users["nurse"]
        due = session.get(Assessment, clinic.due.id)
        set_actor(session, nurse.id, None)
        record_follow_up(session, assessment=due, entries={"vas": 3, "odi": [2] * 10},
                         mode="phone", actor_id=nurse.id)
        session.commit()
        patient = session.get(Patient, clinic.patient.id)
        sign(session, patient=patient, signer=session.get(User, clinic.users["physician"].id),
             meaning="approved", password=PASSWORD, email=None, needs_email=False)
        session.commit()
    return clinic


def _states(app, clinic):
    with Session(get_engine(app)) as session:
        return [s.valid for s in signature_states(session, session.get(Patient,
                                                                         clinic.patient.id))]


# one real change per kind of signed row, written around the app (raw SQL)
CHANGES = [
    ("patient bmi", "UPDATE patient SET bmi = COALESCE(bmi, 20) + 1 WHERE id = :p"),
    ("visit date", "UPDATE assessment SET visit_on = NULL WHERE patient_id = :p "
                   "AND state = 'completed'"),
    ("VAS value", "UPDATE score SET value = 4 WHERE instrument = 'vas' AND assessment_id IN "
                  "(SELECT id FROM assessment WHERE patient_id = :p)"),
    ("ODI section", "UPDATE score_section SET value = 3 WHERE section = 5 AND score_id IN "
                    "(SELECT s.id FROM score s JOIN assessment a ON a.id = s.assessment_id "
                    "WHERE a.patient_id = :p)"),
    ("procedure DAP", "UPDATE procedure SET dap_mgy_cm2 = COALESCE(dap_mgy_cm2, 0) + 1 "
                      "WHERE patient_id = :p"),
    ("target side", "UPDATE procedure_target SET side = CASE WHEN side = 'left' THEN 'right' "
                    "ELSE 'left' END WHERE procedure_id IN "
                    "(SELECT id FROM procedure WHERE patient_id = :p)"),
    ("enrolment stratum", "UPDATE enrollment SET stratum = 'other' WHERE patient_id = :p"),
]


@pytest.mark.parametrize("what, sql", CHANGES, ids=[c[0] for c in CHANGES])
def test_a_change_to_signed_data_voids_the_signature(app, signed, what, sql):
    assert _states(app, signed) == [True]
    with get_engine(app).begin() as connection:
        changed = connection.execute(text(sql), {"p": signed.patient.id}).rowcount
    assert changed >= 1, what
    assert _states(app, signed) == [False]


def test_the_other_patients_data_and_identity_are_not_signed_content(app, signed):
    with get_engine(app).begin() as connection:
        connection.execute(text("UPDATE patient SET bmi = 31 WHERE id = :o"),
                           {"o": signed.other.id})
        connection.execute(text("UPDATE patient_identity SET phone = '+49 30 1234' "
                                "WHERE patient_id = :p"), {"p": signed.patient.id})
    assert _states(app, signed) == [True]


def test_signing_on_the_screen_asks_the_email_once_per_session(app, client, signed, db):
    login(client, signed.users["physician"])
    url = f"/patients/{signed.patient.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Valid</strong>" in page and 'name="email"' in page
    wrong = client.post(f"{url}/sign", data={"meaning": "reviewed", "password": "nope",
                                             "email": signed.users["physician"].email},
                        follow_redirects=True).get_data(as_text=True)
    assert "Not signed: The password is not right" in wrong
    no_email = client.post(f"{url}/sign", data={"meaning": "reviewed", "password": PASSWORD},
                           follow_redirects=True).get_data(as_text=True)
    assert "Enter your own e-mail address" in no_email
    first = client.post(f"{url}/sign", data={"meaning": "reviewed", "password": PASSWORD,
                                             "email": signed.users["physician"].email},
                        follow_redirects=True).get_data(as_text=True)
    assert "signed as “Reviewed” by Test physician" in first
    assert 'name="email"' not in first  # the next signing of this session: password only
    second = client.post(f"{url}/sign", data={"meaning": "author", "password": PASSWORD},
                         follow_redirects=True).get_data(as_text=True)
    assert "signed as “Author”" in second
    assert len(db.exec(select(Signature)).all()) == 3


def test_a_correction_shows_the_signature_void_on_the_patient_page(app, client, signed):
    login(client, signed.users["nurse"])
    with Session(get_engine(app)) as session:
        version = session.get(Assessment, signed.due.id).version
    corrected = client.post(f"/followup/{signed.due.id}/edit", data={
        "mode": "phone", "vas": "5", "version": str(version), "reason": "misread",
        **odi_form([2] * 10)})  # the ODI as recorded: only the VAS changes
    assert corrected.status_code == 302
    page = client.get(f"/patients/{signed.patient.id}").get_data(as_text=True)
    assert "VOID: the signed data changed after signing" in page


def test_only_physicians_and_admins_sign_and_a_locked_record_can_be_signed(app, client,
                                                                          signed):
    login(client, signed.users["nurse"])
    assert client.post(f"/patients/{signed.patient.id}/sign", data={}).status_code == 403
    client.get("/logout")
    login(client, signed.users["coordinator"])
    assert client.post(f"/patients/{signed.patient.id}/lock").status_code == 302
    client.get("/logout")
    login(client, signed.users["physician"])
    done = client.post(f"/patients/{signed.patient.id}/sign", data={
        "meaning": "approved", "password": PASSWORD, "email": signed.users["physician"].email},
        follow_redirects=True).get_data(as_text=True)
    assert "signed as “Approved”" in done


def test_the_sign_and_lock_forms_say_which_queries_are_not_closed(app, client, clinic, db):
    """Found trying the screens as a new user would: a physician signed, and a
    coordinator locked, a record while a data query on it was open, without a word."""
    from clinic.queries.service import raise_query

    login(client, clinic.users["physician"])
    page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert 'id="sign-password"' in page and 'id="sign-open-queries"' not in page
    with Session(get_engine(app), expire_on_commit=False) as session:
        patient = session.exec(select(Patient).where(
            Patient.id == clinic.patient.id)).one()
        query = raise_query(session, table="patient", row_id=patient.id, field="bmi",
                            text="BMI 55?", actor_id=clinic.users["monitor"].id)
        session.commit()
    page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    link = f'<a href="/queries/{query.id}">#{query.id}</a>'
    assert (f'id="sign-open-queries">1 data query on this patient is not closed ({link}): '
            "the signature covers the values as they read now, queried or not, and a "
            "correction made to answer it voids the signature.") in page
    login(client, clinic.users["coordinator"])
    page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert (f'id="lock-open-queries">1 data query on this patient is not closed ({link}): '
            "once locked") in page
