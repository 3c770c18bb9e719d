"""The patient's record on paper carries its locks and signatures, each signature valid
or VOID as of printing, and no identifying data."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlmodel import Session, select

from clinic.db import get_engine
from clinic.locks.service import lock_patient
from clinic.models import Patient, PatientIdentity
from tests.pdf import pdf_text
from tests.signatures.test_signing import signed  # noqa: F401  (fixture)
from tests.web.helpers import login


def _printout(client, clinic) -> str:
    response = client.get(f"/patients/{clinic.patient.id}/record.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return " ".join(pdf_text(response.data).split())


def test_the_printout_shows_locks_signatures_and_voids(app, client, signed):  # noqa: F811
    with Session(get_engine(app), expire_on_commit=False) as db:
        lock_patient(db, db.get(Patient, signed.patient.id),
                     actor_id=signed.users["coordinator"].id)
        db.commit()
        name = db.exec(select(PatientIdentity.name).where(
            PatientIdentity.patient_id == signed.patient.id)).one()
    login(client, signed.users["nurse"])
    page = _printout(client, signed)
    assert re.search(r"Locked \(Patient\) on \d{4}-\d\d-\d\d \d\d:\d\d CES?T by Test "
                     r"coordinator\.", page), page[:600]
    assert re.search(r"Valid: Approved by Test physician, \d{4}-\d\d-\d\d \d\d:\d\d CES?T, "
                     r"SHA-256 [0-9a-f]{64}\.", page), page[:900]
    assert signed.patient.study_code in page and name not in page
    assert "Pain (VAS)" in page and "1 month" in page
    with get_engine(app).begin() as connection:  # a change around the app, and the lock
        connection.execute(text("UPDATE patient SET bmi = COALESCE(bmi, 20) + 1 WHERE id = :p"),
                           {"p": signed.patient.id})
    assert "VOID (the signed data changed after signing): Approved by Test physician" in \
        _printout(client, signed)


def test_an_unlocked_unsigned_record_says_so(client, clinic):
    login(client, clinic.users["monitor"])
    page = _printout(client, clinic)
    assert "Not locked." in page and "Not signed." in page


def test_the_printout_shows_deviations_and_all_dose_fields(app, client, clinic):
    from clinic.models import Procedure

    with get_engine(app).begin() as connection:
        connection.execute(text("UPDATE procedure SET deviation_reason = 'Repeat procedure' "
                                "WHERE patient_id = :p"), {"p": clinic.patient.id})
    with Session(get_engine(app)) as db:
        procedure = db.exec(select(Procedure).where(
            Procedure.patient_id == clinic.patient.id)).first()
    login(client, clinic.users["physician"])
    page = _printout(client, clinic)
    assert "protocol deviation: Repeat procedure" in page
    assert f"fluoroscopy {procedure.fluoroscopy_time_s:g} s" in page


def test_the_printout_gives_scores_with_their_unit_and_dates_whole(app, client, clinic):
    from clinic.followup.service import record_follow_up
    from clinic.models import Assessment, Procedure

    with Session(get_engine(app), expire_on_commit=False) as db:
        visit = db.get(Assessment, clinic.due.id)
        record_follow_up(db, assessment=visit, entries={"vas": 4, "odi": [2] * 10},
                         mode="phone", actor_id=None)
        day = db.exec(select(Procedure.performed_at).where(
            Procedure.patient_id == clinic.patient.id)).first()
        db.commit()
    login(client, clinic.users["physician"])
    response = client.get(f"/patients/{clinic.patient.id}/record.pdf")
    lines = pdf_text(response.data).splitlines()
    assert any("Oswestry Disability Index 40 %" in " ".join(line.split()) for line in lines)
    assert any(day.date().isoformat() in line for line in lines)  # not broken over two lines


def test_the_printout_says_how_an_adverse_event_ended_and_the_diagnosis(client, clinic, db):
    """Found trying the screens as a new user would: a resolved headache printed as if
    it lasted (no resolution column, no notes), the diagnosis was left out, and a column
    heading broke inside its word ("Punctur es")."""
    from datetime import timedelta

    from clinic.safety.service import record_adverse_event

    patient = db.get(Patient, clinic.patient.id)
    patient.diagnosis = "Lumbar radiculopathy L5, right"
    onset = clinic.due.target_date - timedelta(days=5)
    event = record_adverse_event(db, patient=patient, event_type="transient_headache",
                                 onset_on=onset, severity="mild")
    event.resolved_on, event.is_resolved = onset + timedelta(days=2), True
    event.notes = "Settled with paracetamol"
    db.add_all([patient, event])
    db.commit()
    login(client, clinic.users["nurse"])
    page = _printout(client, clinic)
    assert "Diagnosis: Lumbar radiculopathy L5, right" in page
    assert "Resolved" in page and (onset + timedelta(days=2)).isoformat() in page
    assert "Settled with paracetamol" in page
    assert "Punctures" in page and "Upcoming" in page  # the status as the patient page
