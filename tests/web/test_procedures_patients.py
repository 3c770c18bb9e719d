"""Procedure entry (fields follow the modality, warnings) and the patient page."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from sqlmodel import select

from clinic.models import AuditEvent, Enrollment, Patient, Procedure
from clinic.models.base import utcnow
from tests.web.helpers import RECENT, login

BASE = {"performed_at": RECENT[:16], "procedure_type": "tfesi", "punctures": "2",
        "target-0-level": "L4-L5", "target-0-side": "left",
        "injectate-0-drug": "dexamethasone", "injectate-0-dose_mg": "8",
        "operative_time_min": "20"}


def _procedures(db, patient_id):
    db.expire_all()
    return db.exec(select(Procedure).where(Procedure.patient_id == patient_id)
                   .order_by(Procedure.id)).all()


def test_ct_refuses_a_dose_area_product(client, clinic, db):
    login(client, clinic.users["physician"])
    url = f"/patients/{clinic.patient.id}/procedures/new"
    response = client.post(url, data={**BASE, "modality": "ct", "dap_mgy_cm2": "300",
                                      "ctdivol_mgy": "9"})
    assert response.status_code == 422
    assert 'id="dap_mgy_cm2-error"' in response.get_data(as_text=True)
    assert len(_procedures(db, clinic.patient.id)) == 1


def test_ultrasound_records_no_radiation_and_saves(client, clinic, db):
    login(client, clinic.users["physician"])
    url = f"/patients/{clinic.patient.id}/procedures/new"
    page = client.get(url).get_data(as_text=True)
    assert 'data-modalities="cbct dsa fluoroscopy"' in page and 'data-modalities="ct"' in page
    asked = client.post(url, data={**BASE, "modality": "ultrasound"})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "differs from the allocated arm" in page, \
        "the patient is in the fluoroscopy arm: a deviation, asked before saving"
    no_reason = client.post(url, data={**BASE, "modality": "ultrasound",
                                       "confirm_warnings": "yes"})
    assert 'id="deviation_reason-error"' in no_reason.get_data(as_text=True)
    response = client.post(url, data={**BASE, "modality": "ultrasound", "confirm_warnings": "yes",
                                      "deviation_reason": "C-arm out of order"})
    assert response.status_code == 302
    saved = _procedures(db, clinic.patient.id)[-1]
    assert saved.modality == "ultrasound" and saved.dap_mgy_cm2 is None
    assert saved.deviation_reason == "C-arm out of order"
    shown = html.unescape(client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True))
    assert "Protocol deviation" in shown and "C-arm out of order" in shown
    # which deviation the reason was given for (found trying the screens as a new user
    # would: the page did not say)
    assert re.search(r"Protocol deviation</strong>: another modality than the arm's "
                     r"\([^)]*: Fluoroscopy\)\. Reason: C-arm out of order", shown), shown


def test_a_fluoroscopy_without_its_dose_is_a_deviation(client, clinic, db):
    login(client, clinic.users["physician"])
    url = f"/patients/{clinic.patient.id}/procedures/new"
    asked = client.post(url, data={**{k: v for k, v in BASE.items()
                                      if k not in ("dap_mgy_cm2", "fluoroscopy_time_s")},
                                   "modality": "fluoroscopy"})
    assert "without a dose-area product" in asked.get_data(as_text=True)


def test_steroid_over_the_study_cap_warns_before_saving(client, clinic, db):
    login(client, clinic.users["physician"])
    url = f"/patients/{clinic.patient.id}/procedures/new"
    form = {**BASE, "modality": "fluoroscopy", "dap_mgy_cm2": "250",
            "injectate-0-drug": "methylprednisolone_acetate", "injectate-0-dose_mg": "100"}
    warned = client.post(url, data=form)
    assert warned.status_code == 200 and "over the study&#39;s cap" in warned.get_data(as_text=True)
    assert len(_procedures(db, clinic.patient.id)) == 1
    # a protocol deviation (found trying the screens as a new user would: confirmed as a
    # mere warning, it was then found nowhere but in the injectate's line): its reason too
    no_reason = client.post(url, data={**form, "confirm_warnings": "yes"})
    assert no_reason.status_code == 422 and len(_procedures(db, clinic.patient.id)) == 1
    saved = client.post(url, data={**form, "confirm_warnings": "yes",
                                   "deviation_reason": "Severe pain, physician's decision"})
    assert saved.status_code == 302 and len(_procedures(db, clinic.patient.id)) == 2
    assert _procedures(db, clinic.patient.id)[-1].deviation_reason.startswith("Severe pain")


def test_text_in_a_number_field_is_refused(client, clinic):
    login(client, clinic.users["physician"])
    url = f"/patients/{clinic.patient.id}/procedures/new"
    response = client.post(url, data={**BASE, "modality": "ultrasound",
                                      "operative_time_min": "twenty"})
    assert response.status_code == 422 and 'id="operative_time_min-error"' in response.get_data(
        as_text=True)


def test_identity_is_shown_to_nurses_and_never_to_physicians(client, clinic):
    url = f"/patients/{clinic.patient.id}"
    login(client, clinic.users["nurse"])
    assert "Identifying data" in client.get(url).get_data(as_text=True)
    client.post("/logout")
    login(client, clinic.users["physician"])
    page = client.get(url).get_data(as_text=True)
    assert "Identifying data" not in page and "Test Patient" not in page
    assert "example.invalid" not in page


def test_the_patient_page_shows_schedule_procedure_and_audit(client, clinic):
    login(client, clinic.users["coordinator"])
    page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert "1 month" in page and "status-due" in page
    assert "TFESI with pulsed radiofrequency" in page and "350 mGy·cm²" in page
    assert "Record history" in page and "Patient (baseline data)" in page
    history = page.split("Record history")[1]
    # a visit anchored on its procedure names it (it read "procedure ∅ → 201", found
    # trying the screens as a new user would)
    anchored = re.search(r"<td>procedure</td><td class=\"audit-value\">(.*?)</td>"
                         r"<td class=\"audit-value\">(.*?)</td>", history)
    assert anchored and anchored.groups() == ("none", anchored[2])
    assert re.fullmatch(r"Fluoroscopy, \d{4}-\d\d-\d\d \d\d:\d\d \w+", anchored[2]), anchored[2]


def test_a_baseline_correction_needs_a_reason_and_the_version(client, clinic, db):
    login(client, clinic.users["coordinator"])
    url = f"/patients/{clinic.patient.id}/edit"
    form = {"sex": "female", "age_at_enrollment": "51", "bmi": "27.5",
            "version": str(clinic.patient.version)}
    assert client.post(url, data=form).status_code == 422
    assert client.post(url, data={**form, "reason": "Checked the ID"}).status_code == 302
    db.expire_all()
    assert db.get(Patient, clinic.patient.id).age_at_enrollment == 51
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "patient",
                                             AuditEvent.field == "age_at_enrollment")).one()
    assert (event.old_value, event.new_value, event.reason) == ("50", "51", "Checked the ID")
    again = client.post(url, data={**form, "age_at_enrollment": "52", "reason": "stale form"})
    assert again.status_code == 409
    assert "changed this patient" in again.get_data(as_text=True)
    db.expire_all()
    assert db.get(Patient, clinic.patient.id).age_at_enrollment == 51


def test_an_age_corrected_below_the_studys_limit_raises_a_query(client, clinic, db):
    """Found trying the API and screens as a new user would: an age corrected to 10 in a
    study for adults 18 or older was saved without a word. The correction stands (it may
    be the truth); the rules ask whether the patient was eligible."""
    from clinic.models import DataQuery

    login(client, clinic.users["coordinator"])
    url = f"/patients/{clinic.patient.id}/edit"
    form = {"sex": "female", "age_at_enrollment": "10", "bmi": "27.5", "reason": "ID card",
            "version": str(clinic.patient.version)}
    saved = client.post(url, data=form, follow_redirects=True)
    assert saved.status_code == 200
    [query] = db.exec(select(DataQuery).where(DataQuery.patient_id == clinic.patient.id,
                                              DataQuery.rule == "age_outside_criterion")).all()
    assert query.value_when_raised == "10" and "18 years or older" in query.text
    assert query.status == "open", "not answered by the correction that raised it"
    assert f"#{query.id} on Baseline: age" in saved.get_data(as_text=True)
    db.expire_all()
    back = {**form, "age_at_enrollment": "50", "reason": "Typed over",
            "version": str(db.get(Patient, clinic.patient.id).version)}
    assert client.post(url, data=back).status_code == 302
    assert len(db.exec(select(DataQuery).where(
        DataQuery.rule == "age_outside_criterion")).all()) == 1, "an age inside: no new query"


def test_the_patient_page_shows_the_next_reminder_due(client, clinic):
    login(client, clinic.users["nurse"])
    page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    # the 1-month visit is today; its reminder (3 days before) still waits for the run
    assert "Next reminder: the patient's <strong>1 month</strong>" in page
    assert "(pending)" in page


def test_the_schedule_shows_the_studys_measures_and_medication(client, clinic, db):
    from clinic.models import Medication

    db.add(Medication(assessment_id=clinic.due.id, med_class="opioid", drug="tramadol",
                      daily_dose_mg=100))
    db.commit()
    login(client, clinic.users["coordinator"])
    page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert "tramadol 100 mg/day" in page
    assert "Oswestry Disability Index" in page and "Neck Disability Index" not in page


def test_an_answer_other_than_yes_or_no_is_refused_not_cleared(client, clinic, db):
    """Found by fuzzing: "maybe" for contrast extravasation cleared the recorded answer."""
    login(client, clinic.users["physician"])
    response = client.post(f"/patients/{clinic.patient.id}/procedures/new",
                           data={**BASE, "modality": "ultrasound",
                                 "contrast_extravasation": "maybe"})
    assert response.status_code == 422
    assert 'id="contrast_extravasation-error"' in response.get_data(as_text=True)


def test_a_procedure_dated_ahead_is_said_to_be_planned(client, clinic, db):
    """Found attacking the forms: a date a month ahead was accepted (the form takes a
    planned procedure up to a year ahead) with 'procedure recorded', as if done."""
    login(client, clinic.users["physician"])
    ahead = date.today() + timedelta(days=30)
    planned = {**BASE, "performed_at": f"{ahead}T10:00", "modality": "fluoroscopy"}
    with_dose = client.post(f"/patients/{clinic.patient.id}/procedures/new", data={
        **planned, "dap_mgy_cm2": "300", "fluoroscopy_time_s": "30"})
    page = with_dose.get_data(as_text=True)
    assert with_dose.status_code == 422 and 'id="dap_mgy_cm2-error"' in page
    assert f"The procedure is planned for {ahead}: enter this once it is done" in page
    assert 'id="operative_time_min-error"' in page and len(_procedures(db, clinic.patient.id)) == 1
    del planned["operative_time_min"]  # nor a deviation for the dose not known yet
    response = client.post(f"/patients/{clinic.patient.id}/procedures/new", data=planned,
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    # (the patient has an index procedure: the schedule stays on it; it said "follow-ups
    # scheduled from that day")
    assert f"repeat procedure planned for {ahead}; the follow-ups stay scheduled" in page
    assert len(_procedures(db, clinic.patient.id)) == 2


def test_a_second_procedure_on_one_day_and_implausible_doses_warn_before_saving(
        client, clinic, db):
    """Found testing as a new user would: a procedure saved three times was kept three
    times, and the report took a DLP of 99999 mGy·cm and dexamethasone 400 mg."""
    from zoneinfo import ZoneInfo

    login(client, clinic.users["physician"])
    first = _procedures(db, clinic.patient.id)[0]
    day = first.performed_at.astimezone(ZoneInfo("Europe/Berlin")).date()
    url = f"/patients/{clinic.patient.id}/procedures/new"
    form = {**BASE, "performed_at": f"{day}T16:00", "modality": "ct", "ctdivol_mgy": "9",
            "dlp_mgy_cm": "99999", "injectate-0-dose_mg": "400"}
    warned = client.post(url, data=form)
    page = warned.get_data(as_text=True)
    assert warned.status_code == 200 and len(_procedures(db, clinic.patient.id)) == 1
    assert f"already has a procedure on {day}" in page
    assert "DLP 99,999 mGy·cm is more than 2,000 mGy·cm" in page
    assert "Dexamethasone 400 mg in one injection is more than 20 mg" in page  # its limit
    saved = client.post(url, data={**form, "confirm_warnings": "yes",
                                   "deviation_reason": "CT room free"})  # if not its arm's
    assert saved.status_code == 302 and len(_procedures(db, clinic.patient.id)) == 2
    second = max(_procedures(db, clinic.patient.id), key=lambda p: p.id)
    created = db.exec(select(AuditEvent).where(AuditEvent.entity == "procedure",
                                               AuditEvent.entity_id == second.id,
                                               AuditEvent.action == "create")).one()
    assert created.reason.startswith("Confirmed before saving: ")  # what was confirmed
    assert "DLP 99,999 mGy·cm" in created.reason and "already has a procedure" in created.reason
    # found trying the screens as a new user would: the next procedure, 8 mg, was warned
    # about (and its audit reason confirmed) the earlier procedure's 400 mg "in one
    # injection"; nor is dexamethasone counted against the cap (methylprednisolone
    # acetate's, in the seed trial: the regimen's dexamethasone is not capped)
    client.get(saved.headers["Location"])  # (its page shows the saved one's warnings)
    later = client.post(url, data={**form, "performed_at": f"{day}T18:00", "dlp_mgy_cm": "300",
                                   "injectate-0-dose_mg": "8"}).get_data(as_text=True)
    assert "already has a procedure" in later and "in one injection" not in later
    assert "over the study&#39;s cap" not in later


def _warned(page: str) -> str:
    return re.search(r'name="warned" value="([0-9a-f ]+)"', page).group(1)


def test_a_value_changed_after_the_warning_is_asked_about_again(client, clinic, db):
    """Found trying the screens as a new user would: warned about dexamethasone 130 mg,
    the physician typed 1300, ticked the box and the procedure was saved at 1300 mg,
    its warning seen only after. A confirmation holds for the warnings it was given for."""
    login(client, clinic.users["physician"])
    url = f"/patients/{clinic.patient.id}/procedures/new"
    form = {**BASE, "performed_at": f"{date.today() - timedelta(days=1)}T11:00",
            "modality": "fluoroscopy", "dap_mgy_cm2": "250", "injectate-0-dose_mg": "130",
            "deviation_reason": "as planned by the team"}
    warned = client.post(url, data=form).get_data(as_text=True)
    assert "130 mg in one injection" in warned and len(_procedures(db, clinic.patient.id)) == 1
    changed = client.post(url, data={**form, "injectate-0-dose_mg": "1300",
                                     "confirm_warnings": "yes", "warned": _warned(warned)})
    page = changed.get_data(as_text=True)
    assert changed.status_code == 422 and len(_procedures(db, clinic.patient.id)) == 1
    assert "1300 mg in one injection" in page and 'id="confirm_warnings-error"' in page
    assert "A value changed after the box was ticked" in page
    box = re.search(r'<input type="checkbox" id="confirm_warnings"[^>]*>', page).group(0)
    assert "checked" not in box and 'aria-invalid="true"' in box
    saved = client.post(url, data={**form, "injectate-0-dose_mg": "1300",
                                   "confirm_warnings": "yes", "warned": _warned(page)})
    assert saved.status_code == 302 and len(_procedures(db, clinic.patient.id)) == 2


def test_a_procedure_dated_before_the_randomization_is_confirmed(client, clinic, db):
    """Found trying the screens as a new user would: an enrollment entered days after the
    procedure (randomized today) took the procedure's earlier date without a word, though
    the arm was not known from the app when it was done. It is a warning to confirm
    (kept in the audit trail); an enrollment entered late and dated back to its day is
    randomized when entered, so it is not a deviation of itself."""
    enrollment = db.exec(select(Enrollment).where(
        Enrollment.patient_id == clinic.patient.id)).one()
    enrollment.randomized_at = utcnow() - timedelta(hours=1)  # randomized an hour ago
    db.add(enrollment)
    db.commit()
    login(client, clinic.users["physician"])
    url = f"/patients/{clinic.patient.id}/procedures/new"
    form = {**BASE, "modality": "fluoroscopy", "dap_mgy_cm2": "250"}  # two days ago
    warned = client.post(url, data=form).get_data(as_text=True)
    assert "before the patient&#39;s randomization" in warned and "not known yet" in warned
    assert len(_procedures(db, clinic.patient.id)) == 1
    saved = client.post(url, data={**form, "confirm_warnings": "yes"})
    assert saved.status_code == 302 and len(_procedures(db, clinic.patient.id)) == 2
    reasons = db.exec(select(AuditEvent.reason).where(
        AuditEvent.entity == "procedure", AuditEvent.action == "create")).all()
    assert any(r and "before the patient's randomization" in r for r in reasons)
    today = client.post(url, data={**form, "performed_at": f"{date.today()}T23:59"})
    assert "randomization" not in today.get_data(as_text=True)


def test_a_date_before_the_enrollment_is_refused_before_any_warning_is_confirmed(client,
                                                                                 clinic, db):
    """Found trying the screens as a new user would: the form asked to confirm its
    warnings first, and only once they were confirmed, with a reason, said that the
    date could not be saved at all."""
    login(client, clinic.users["physician"])
    url = f"/patients/{clinic.patient.id}/procedures/new"
    early = (date.today() - timedelta(days=400)).isoformat()  # before the enrollment
    form = {**BASE, "modality": "ct", "ctdivol_mgy": "9", "dlp_mgy_cm": "300",
            "performed_at": f"{early}T10:00"}  # another modality than the arm's, too
    first = client.post(url, data=form)
    page = first.get_data(as_text=True)
    assert first.status_code == 422 and "before the patient&#39;s enrollment" in page
    assert len(_procedures(db, clinic.patient.id)) == 1


def test_a_level_or_drug_chosen_as_other_is_named_in_the_notes(client, clinic, db):
    """Found trying the screens as a new user would: a target level and an injectate
    'Other' were kept with nothing to say what they were, and the procedure's notes were
    shown nowhere on the patient's page."""
    login(client, clinic.users["physician"])
    url = f"/patients/{clinic.patient.id}/procedures/new"
    other = {**BASE, "modality": "fluoroscopy", "dap_mgy_cm2": "300",
             "target-0-level": "other", "injectate-0-drug": "other",
             "injectate-0-dose_mg": "", "injectate-0-volume_ml": "2"}
    refused = client.post(url, data=other)
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422 and 'id="notes-error"' in page
    assert "Say in the notes which level and drug 'Other' is" in page
    assert len(_procedures(db, clinic.patient.id)) == 1
    named = {**other, "notes": "Coccygeal level; hyaluronidase 1500 IU"}
    saved = client.post(url, data=named)
    if saved.status_code == 200:  # a warning to confirm first (a second procedure)
        saved = client.post(url, data={**named, "confirm_warnings": "yes"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    shown = html.unescape(client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True))
    assert "<dt>Notes</dt>" in shown and "Coccygeal level; hyaluronidase 1500 IU" in shown


def test_a_repeat_procedure_says_the_follow_ups_stay_where_they_are(client, clinic, db):
    """Found trying the screens as a new user would: a repeat procedure said 'follow-ups
    scheduled', though the schedule stays on the index procedure."""
    from zoneinfo import ZoneInfo

    login(client, clinic.users["physician"])
    first = _procedures(db, clinic.patient.id)[0]
    since = first.performed_at.astimezone(ZoneInfo("Europe/Berlin")).date()
    saved = client.post(f"/patients/{clinic.patient.id}/procedures/new", follow_redirects=True,
                        data={**BASE, "modality": "fluoroscopy", "dap_mgy_cm2": "250",
                              })
    page = html.unescape(saved.get_data(as_text=True))
    assert (f"{clinic.patient.study_code}: repeat procedure recorded on {RECENT[:10]}; the "
            f"follow-ups stay scheduled from the index procedure of {since}.") in page, page
    assert "follow-ups scheduled" not in page
