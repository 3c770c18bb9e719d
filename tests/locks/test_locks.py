"""A locked visit, patient or study refuses every write path with a clear answer (the
screens and the API with 423 Locked, the CLI with an error), and nothing is stored."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, func, select

from clinic.audit import set_actor
from clinic.db import get_engine
from clinic.locks.service import lock_patient, lock_study, lock_visit
from clinic.models import Assessment, AuditEvent, Patient, RecordLock, Study
from tests.web.helpers import RECENT, login, odi_form, record_due

ODI = [1] * 10
LOCKED = "is locked (since"


def _lock(app, clinic, level: str) -> None:
    with Session(get_engine(app), expire_on_commit=False) as session:
        if level == "study":
            lock_study(session, session.get(Study, clinic.study.id), actor_id=None)
        elif level == "patient":
            lock_patient(session, session.get(Patient, clinic.patient.id), actor_id=None)
        else:
            lock_visit(session, session.get(Assessment, clinic.due.id), actor_id=None)
        session.commit()


def _events(app) -> int:
    with Session(get_engine(app)) as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


# Each write path: (name, levels it is tried at, call(client, clinic, bearer, version)).
# "pending" paths need the due visit unrecorded (study and patient locks); "recorded"
# ones need it recorded (every level: a visit lock needs a recorded visit).
Call = Callable[[Any, Any, Any, int], Any]
PENDING: list[tuple[str, Call]] = [
    ("screen: follow-up save", lambda c, k, b, v: c.post(
        f"/followup/{k.due.id}", data={"mode": "phone", "vas": "4", "version": str(v),
                                       **odi_form(ODI)})),
    ("screen: not done", lambda c, k, b, v: c.post(
        f"/followup/{k.due.id}/not-done", data={"version": str(v),
                                                "not_done_reason": "moved away"})),
    ("API: scores", lambda c, k, b, v: c.post(
        f"/api/v1/assessments/{k.due.id}/scores", headers=b("nurse"),
        json={"version": v, "mode": "phone", "entries": {"vas": 4}})),
    ("API: not done", lambda c, k, b, v: c.post(
        f"/api/v1/assessments/{k.due.id}/not-done", headers=b("nurse"),
        json={"version": v, "reason": "moved away"})),
    ("screen: baseline correction", lambda c, k, b, v: c.post(
        f"/patients/{k.patient.id}/edit", data={
            "sex": k.patient.sex, "diagnosis": k.patient.diagnosis or "",
            "age_at_enrollment": str(k.patient.age_at_enrollment or 60),
            "birth_year": str(k.patient.birth_year or ""), "bmi": "29.9",
            "symptom_duration_months": str(k.patient.symptom_duration_months or 12),
            "version": str(k.patient.version), "reason": "typo"})),
    ("API: patient correction", lambda c, k, b, v: c.patch(
        f"/api/v1/patients/{k.patient.id}", headers=b("coordinator"),
        json={"version": k.patient.version, "reason": "typo", "bmi": 28.1})),
    ("API: procedure", lambda c, k, b, v: c.post(
        f"/api/v1/patients/{k.patient.id}/procedures", headers=b("physician"),
        json={"performed_at": RECENT, "modality": "fluoroscopy",
              "procedure_type": "tfesi", "punctures": 1, "dap_mgy_cm2": 10,
              "targets": [{"level": "L4-L5", "side": "left"}]})),
]
RECORDED: list[tuple[str, Call]] = [
    ("screen: correction", lambda c, k, b, v: c.post(
        f"/followup/{k.due.id}/edit", data={"mode": "phone", "vas": "5", "version": str(v),
                                            "reason": "misread"})),
    ("API: correction", lambda c, k, b, v: c.put(
        f"/api/v1/assessments/{k.due.id}/scores", headers=b("nurse"),
        json={"version": v, "mode": "phone", "entries": {"vas": 5}, "reason": "misread"})),
]
CASES = ([(level, name, call, False) for level in ("study", "patient")
          for name, call in PENDING]
         + [(level, name, call, True) for level in ("study", "patient", "visit")
            for name, call in RECORDED])


@pytest.mark.parametrize("level, path, call, recorded", CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_a_locked_record_refuses_the_write(app, client, clinic, bearer, level, path, call,
                                          recorded):
    version = record_due(app, clinic) if recorded else clinic.due.version
    _lock(app, clinic, level)
    login(client, clinic.users["nurse"])
    before = _events(app)
    response = call(client, clinic, bearer, version)
    assert response.status_code == 423, (path, response.status_code, response.data[:300])
    text = response.get_data(as_text=True)
    assert LOCKED in text and "nothing was saved" in text
    named = {"study": "The study's database is locked",
             "patient": f"This patient's record ({clinic.patient.study_code}) is locked",
             "visit": f"This visit ({clinic.patient.study_code}, 1 month) is locked"}
    assert named[level] in html.unescape(text), "the lock names the patient it holds"
    assert _events(app) == before, "nothing stored"


def test_a_visit_lock_leaves_the_rest_of_the_patient_open(app, client, clinic, bearer):
    version = record_due(app, clinic)
    _lock(app, clinic, "visit")
    patch = client.patch(f"/api/v1/patients/{clinic.patient.id}", headers=bearer("coordinator"),
                         json={"version": clinic.patient.version, "reason": "typo", "bmi": 28.1})
    assert patch.status_code == 200
    login(client, clinic.users["nurse"])
    refused = client.post(f"/followup/{clinic.due.id}/edit", data={
        "mode": "phone", "vas": "5", "version": str(version), "reason": "misread"})
    assert refused.status_code == 423


def test_the_cli_refuses_synthetic_patients_for_a_locked_study(app, clinic):
    _lock(app, clinic, "study")
    result = app.test_cli_runner().invoke(args=["study", "simulate", clinic.study.code,
                                                "--patients", "2"])
    assert result.exit_code == 1
    assert "The study's database is locked" in result.output


def test_locking_and_unlocking_from_the_screens(app, client, clinic, db):
    record_due(app, clinic)
    login(client, clinic.users["nurse"])
    assert client.post(f"/patients/{clinic.patient.id}/lock").status_code == 403
    client.get("/logout")
    login(client, clinic.users["physician"])
    page = client.post(f"/patients/{clinic.patient.id}/lock", follow_redirects=True)
    assert "the record is locked" in page.get_data(as_text=True)
    lock = db.exec(select(RecordLock)).one()
    assert (lock.level, lock.locked_by_id) == ("patient", clinic.users["physician"].id)
    assert client.post(f"/locks/{lock.id}/unlock", data={"reason": "locked_in_error"}
                       ).status_code == 403
    client.get("/logout")
    login(client, clinic.users["coordinator"])
    shown = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert "Patient</strong> locked" in shown and "Test physician" in shown
    no_reason = client.post(f"/locks/{lock.id}/unlock", data={"reason": ""},
                            follow_redirects=True)
    page = no_reason.get_data(as_text=True)  # at the field, its form open (not a banner)
    assert f'<details class="unlock" id="unlock-{lock.id}" open>' in page
    assert (f'<p class="error" id="unlock-reason-{lock.id}-error" role="alert">Choose why it '
            "is unlocked") in page and "Not unlocked" not in page
    long_note = client.post(f"/locks/{lock.id}/unlock", data={  # refused, not cut short
        "reason": "query_correction", "note": "x" * 300 + "!"}, follow_redirects=True)
    assert "Keep the note to 300 characters (it has 301)" in long_note.get_data(as_text=True)
    done = client.post(f"/locks/{lock.id}/unlock", data={"reason": "query_correction",
                                                          "note": "VAS misread"},
                       follow_redirects=True)
    assert "Unlocked" in done.get_data(as_text=True)
    db.expire_all()
    assert db.exec(select(RecordLock)).all() == []
    removed = db.exec(select(AuditEvent).where(AuditEvent.entity == "record_lock",
                                               AuditEvent.action == "delete")).one()
    assert removed.reason == "Unlocked: A data query needs a correction: VAS misread"
    assert removed.user_id == clinic.users["coordinator"].id


def test_a_study_is_locked_once_and_only_a_recorded_visit_can_be(app, client, clinic):
    login(client, clinic.users["coordinator"])
    first = client.post(f"/studies/{clinic.study.code}/lock", follow_redirects=True)
    assert "database is locked" in first.get_data(as_text=True)
    again = client.post(f"/studies/{clinic.study.code}/lock", follow_redirects=True)
    assert "is locked already" in again.get_data(as_text=True)
    pending = client.post(f"/visits/{clinic.due.id}/lock", follow_redirects=True)
    assert "Only a recorded visit can be locked" in pending.get_data(as_text=True)


def test_the_study_lock_is_undone_on_the_set_up_page_where_it_was_set(app, client, clinic,
                                                                      db):
    """The page said to unlock it 'from any patient's page' (found trying the screens as
    a new user would): the set-up page that locks it unlocks it, with a reason."""
    from clinic.models import RecordLock

    login(client, clinic.users["coordinator"])
    setup = f"/admin/studies/{clinic.study.id}"
    client.post(f"/studies/{clinic.study.code}/lock", headers={"Referer": setup})
    lock = db.exec(select(RecordLock).where(RecordLock.level == "study")).one()
    page = client.get(setup).get_data(as_text=True)
    assert f'action="/locks/{lock.id}/unlock"' in page
    undone = client.post(f"/locks/{lock.id}/unlock", data={"reason": "locked_in_error"},
                         headers={"Referer": setup})
    assert undone.status_code == 302 and undone.headers["Location"].endswith(setup)
    assert "Lock the study's database</button>" in client.get(setup).get_data(as_text=True)


def test_the_reports_methods_say_when_and_by_whom_the_database_was_locked(app, clinic):
    from clinic.reports.data import study_info
    from clinic.reports.methods import methods_text

    with Session(get_engine(app), expire_on_commit=False) as session:
        study = session.get(Study, clinic.study.id)
        assert not any("locked" in p for p in methods_text([], False, study_info(session,
                                                                                 study)))
        lock = lock_study(session, study, actor_id=clinic.users["coordinator"].id)
        session.commit()
        text = " ".join(methods_text([], False, study_info(session, study)))
    assert (f"The database was locked on {lock.locked_at:%Y-%m-%d %H:%M} UTC by "
            "Test coordinator, before this analysis") in text


def test_contact_data_stays_editable_on_a_locked_patient(app, clinic):
    """Contact data is not study data: a new phone number must reach the reminders."""
    from clinic.models import PatientIdentity

    _lock(app, clinic, "patient")
    with Session(get_engine(app)) as session:
        set_actor(session, None, "new number")
        identity = session.exec(select(PatientIdentity).where(
            PatientIdentity.patient_id == clinic.patient.id)).one()
        identity.phone = "+49 30 5550100"
        session.add(identity)
        session.commit()


def test_what_the_nurse_typed_is_kept_when_a_lock_refuses_it(app, client, clinic):
    _lock(app, clinic, "patient")
    login(client, clinic.users["nurse"])
    refused = client.post(f"/followup/{clinic.due.id}", data={
        "mode": "phone", "vas": "7", "version": str(clinic.due.version), **odi_form(ODI)})
    assert refused.status_code == 423
    html = refused.get_data(as_text=True)
    assert "What you typed is kept" in html
    link = html.split('id="kept-draft"')[0].rsplit('href="', 1)[1].split('"')[0]
    again = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert 'name="vas" value="7"' in again


def test_a_locked_visit_offers_no_correction_link(app, client, clinic):
    record_due(app, clinic)
    login(client, clinic.users["nurse"])
    edit_link = f'href="/followup/{clinic.due.id}/edit"'
    assert edit_link in client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    _lock(app, clinic, "visit")
    page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert edit_link not in page and "<strong>locked</strong>" in page


@pytest.mark.parametrize("level", ["study", "patient"])  # a visit is locked once recorded
def test_the_follow_up_form_says_it_is_locked_before_anything_is_typed(app, client, clinic,
                                                                        level):
    """Found trying the screens as a new user would: the form opened as usual and the
    nurse learnt of the lock only after typing every score and saving."""
    login(client, clinic.users["nurse"])
    assert 'id="lock-notice"' not in client.get(f"/followup/{clinic.due.id}").get_data(
        as_text=True)
    _lock(app, clinic, level)
    page = html.unescape(client.get(f"/followup/{clinic.due.id}").get_data(as_text=True))
    assert 'id="lock-notice"' in page and "nothing can be saved here" in page
    assert {"study": "The study's database", "patient": "This patient's record"}[level] \
        + " is locked" in page


def test_the_correction_form_of_a_locked_visit_says_so_before_anything_is_typed(
        app, client, clinic):
    """Found trying the screens as a new user would: the correction form opened as usual
    and told of the lock only after the save (the entry form said it at once)."""
    record_due(app, clinic)
    login(client, clinic.users["nurse"])
    edit = f"/followup/{clinic.due.id}/edit"
    assert 'id="lock-notice"' not in client.get(edit).get_data(as_text=True)
    _lock(app, clinic, "visit")
    page = html.unescape(client.get(edit).get_data(as_text=True))
    assert 'id="lock-notice"' in page and "nothing can be saved here" in page


def test_the_lock_over_a_patient_s_record_is_the_study_s_or_the_patient_s(app, clinic):
    """A form that changes the whole record (baseline data, a procedure) is held by the
    study's lock or the patient's, the oldest first; a visit's lock holds that visit."""
    from clinic.locks.service import lock_over_patient

    record_due(app, clinic)
    _lock(app, clinic, "visit")
    with Session(get_engine(app)) as session:
        assert lock_over_patient(session, session.get(Patient, clinic.patient.id)) is None
    _lock(app, clinic, "patient")
    _lock(app, clinic, "study")
    with Session(get_engine(app)) as session:
        found = lock_over_patient(session, session.get(Patient, clinic.patient.id))
        assert found is not None and found.level == "patient"
