"""Correcting a patient's radicular laterality: a root added by an amendment can be filled
in for the patients enrolled before it, a wrong one changed or removed, each with the
correction's reason in the audit trail and one version step of the patient."""

from __future__ import annotations

import pytest
from sqlmodel import select

from clinic.exceptions import ValidationError
from clinic.models import AuditEvent, Patient, RootLaterality, Study
from clinic.patients.editing import edit_patient, laterality_roots
from tests.web.helpers import login, today_in


def _lateralities(db, patient_id):
    db.expire_all()
    return {r.root: r.laterality for r in db.exec(select(RootLaterality).where(
        RootLaterality.patient_id == patient_id))}


def test_a_root_asked_since_an_amendment_is_filled_in_and_audited(app, clinic, db):
    patient = db.get(Patient, clinic.patient.id)
    study = db.get(Study, patient.study_id)
    study.roots = ["L4", "L5", "S1"]  # as an amendment leaves it
    db.add(study)
    db.commit()
    assert laterality_roots(db, patient) == ["L4", "L5", "S1"]
    before = patient.version
    changed = edit_patient(db, patient=patient, read_version=before, changes={},
                           reason="S1 asked since amendment 2", actor_id=None,
                           today=today_in(app),
                           laterality={"L4": "bilateral", "L5": "", "S1": "unilateral"})
    db.commit()
    assert changed == ["laterality at L4", "laterality at S1"]
    assert _lateralities(db, patient.id) == {"L4": "bilateral", "S1": "unilateral"}
    assert db.get(Patient, patient.id).version == before + 1
    events = db.exec(select(AuditEvent).where(AuditEvent.entity == "root_laterality",
                                              AuditEvent.reason == "S1 asked since amendment 2"
                                              )).all()
    assert sorted(e.action for e in events) == ["create", "update"]


def test_every_problem_is_named_at_once_and_nothing_is_written(app, clinic, db):
    patient = db.get(Patient, clinic.patient.id)
    with pytest.raises(ValidationError) as refused:
        edit_patient(db, patient=patient, read_version=patient.version, changes={"bmi": 900.0},
                     reason="Typing error", actor_id=None, today=today_in(app),
                     laterality={"L4": "sideways", "C5": "unilateral"})
    assert {"bmi", "laterality_L4", "laterality_C5"} <= set(refused.value.errors)
    assert "does not ask the laterality at C5" in refused.value.errors["laterality_C5"]
    db.rollback()
    assert _lateralities(db, patient.id) == {"L4": "unilateral"}


def test_the_same_laterality_again_is_nothing_changed(app, clinic, db):
    patient = db.get(Patient, clinic.patient.id)
    with pytest.raises(ValidationError, match="Nothing was changed"):
        edit_patient(db, patient=patient, read_version=patient.version, changes={},
                     reason="Checked", actor_id=None, today=today_in(app),
                     laterality={"L4": "unilateral"})


def test_the_correction_form_sets_a_laterality(client, clinic, db):
    login(client, clinic.users["coordinator"])
    url = f"/patients/{clinic.patient.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'name="laterality_L3"' in page and 'name="laterality_L5"' in page
    assert '<option value="unilateral" selected>' in page  # L4 as recorded
    form = {"sex": clinic.patient.sex, "age_at_enrollment": str(clinic.patient.age_at_enrollment),
            "bmi": "27.5", "version": str(clinic.patient.version),
            "laterality_L4": "unilateral", "laterality_L5": "bilateral",
            "reason": "MRI report re-read"}
    saved = client.post(url, data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:1500]
    assert _lateralities(db, clinic.patient.id) == {"L4": "unilateral", "L5": "bilateral"}
    shown = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert "L5: Bilateral" in shown


def test_the_correction_form_names_every_problem_in_one_round(client, clinic, db):
    """Found testing as a new user would: an unreadable age hid a bad BMI, a wrong
    laterality and a short reason until it was mended."""
    login(client, clinic.users["coordinator"])
    url = f"/patients/{clinic.patient.id}/edit"
    form = {"sex": clinic.patient.sex, "age_at_enrollment": "abc", "bmi": "-3",
            "symptom_duration_months": "-1", "laterality_L4": "bogus", "reason": "x",
            "version": str(clinic.patient.version)}
    refused = client.post(url, data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    for field in ("age_at_enrollment", "bmi", "symptom_duration_months", "laterality_L4",
                  "reason"):
        assert f'id="{field}-error"' in page, field
    assert _lateralities(db, clinic.patient.id) == {"L4": "unilateral"}
    only_unread = client.post(url, data=form | {"age_at_enrollment": "abc", "bmi": "27.5",
                                                "symptom_duration_months": "",
                                                "laterality_L4": "unilateral",
                                                "reason": "Typing error"})
    text = only_unread.get_data(as_text=True)
    assert only_unread.status_code == 422 and 'id="age_at_enrollment-error"' in text
    assert 'id="reason-error"' not in text  # not "nothing was changed"
