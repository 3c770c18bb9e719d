"""The JSON API: bearer tokens, the same validation and audit as the forms, OpenAPI."""

from __future__ import annotations

from datetime import date, timedelta

from openapi_spec_validator import validate
from sqlmodel import select

from clinic.models import Assessment, AuditEvent, Score
from tests.web.helpers import RECENT, login, today_in

NOT_ASKED = "not asked in this test"  # the reason for the outcomes a test leaves out
# an onset after the consent and the procedure of the clinic fixture, which are relative to today
ONSET = (date.today() - timedelta(days=2)).isoformat()
ODI = {"pain_intensity": 2, "personal_care": 1, "lifting": 3, "walking": 2, "sitting": 1,
       "standing": 2, "sleeping": 1, "sex_life": 0, "social_life": 2, "travelling": 2}


def test_the_openapi_document_is_valid(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert "/assessments/{assessment_id}/scores" in document["paths"]
    assert "ScoresIn" in document["components"]["schemas"]


def test_requests_without_a_valid_token_are_refused(client, clinic):
    assert client.get("/api/v1/patients").status_code == 401
    bad = client.get("/api/v1/patients", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.get_json()["message"]
    login(client, clinic.users["nurse"])  # a session cookie is not enough for the API
    assert client.get("/api/v1/patients").status_code == 401


def test_a_nurse_lists_her_sites_patients_and_their_schedule(client, clinic, bearer):
    headers = bearer("nurse")
    patients = client.get("/api/v1/patients", headers=headers).get_json()
    assert [p["study_code"] for p in patients] == [clinic.patient.study_code]
    assert client.get(f"/api/v1/patients/{clinic.other.id}", headers=headers).status_code == 404
    schedule = client.get(f"/api/v1/patients/{clinic.patient.id}/assessments",
                          headers=headers).get_json()
    month_1 = next(a for a in schedule if a["timepoint"] == "month_1")
    assert month_1["status"] == "due" and "odi" in month_1["measures"]


def test_scores_are_validated_like_the_form(client, clinic, bearer, db):
    headers = bearer("nurse")
    url = f"/api/v1/assessments/{clinic.due.id}/scores"
    bad = client.post(url, headers=headers, json={"version": clinic.due.version, "mode": "phone",
                                                  "missing_reason": NOT_ASKED,
                                                  "entries": {"vas": 11, "odi": ODI}})
    assert bad.status_code == 422 and "vas" in bad.get_json()["errors"]
    typed = client.post(url, headers=headers, json={"version": "x", "mode": "phone",
                                                    "entries": {}})
    assert typed.status_code == 422 and "version" in typed.get_json()["errors"]
    assert db.exec(select(Score).where(Score.assessment_id == clinic.due.id)).all() == []
    good = client.post(url, headers=headers, json={"version": clinic.due.version,
                                                   "missing_reason": NOT_ASKED,
                                                   "mode": "phone",
                                                   "entries": {"vas": 3, "odi": ODI}})
    assert good.status_code == 201, good.get_json()
    body = good.get_json()
    odi = next(s for s in body["scores"] if s["instrument"] == "odi")
    assert odi["value"] == 32.0 and odi["sections"]["lifting"] == 3
    stale = client.post(url, headers=headers, json={"version": clinic.due.version,
                                                    "missing_reason": NOT_ASKED,
                                                    "mode": "phone", "entries": {"vas": 5}})
    assert stale.status_code == 409


def test_a_correction_through_the_api_is_audited_with_its_reason(client, clinic, bearer, db):
    headers = bearer("nurse")
    url = f"/api/v1/assessments/{clinic.due.id}/scores"
    first = client.post(url, headers=headers, json={"version": clinic.due.version,
                                                    "missing_reason": NOT_ASKED,
                                                    "mode": "phone", "entries": {"vas": 3}})
    version = first.get_json()["version"]
    fixed = client.put(url, headers=headers, json={"version": version, "mode": "phone",
                                                   "entries": {"vas": 4}, "reason": "misread"})
    assert fixed.status_code == 200
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "score",
                                             AuditEvent.field == "value")).one()
    assert (event.old_value, event.new_value, event.reason) == ("3.0", "4.0", "misread")


def test_procedures_follow_the_modality_and_roles(client, clinic, bearer, db):
    url = f"/api/v1/patients/{clinic.patient.id}/procedures"
    payload = {"performed_at": RECENT, "modality": "ultrasound",
               "procedure_type": "tfesi", "punctures": 1, "dap_mgy_cm2": 10,
               "targets": [{"level": "L4-L5", "side": "left"}]}
    assert client.post(url, headers=bearer("nurse"), json=payload).status_code == 403
    headers = bearer("physician")
    refused = client.post(url, headers=headers, json=payload)
    assert refused.status_code == 422 and "dap_mgy_cm2" in refused.get_json()["errors"]
    del payload["dap_mgy_cm2"]
    deviation = client.post(url, headers=headers, json=payload)
    assert deviation.status_code == 422, "ultrasound for a fluoroscopy-arm patient"
    assert "allocated arm" in deviation.get_json()["errors"]["confirm_warnings"]
    no_reason = client.post(url, headers=headers, json={**payload, "confirm_warnings": True})
    assert "deviation_reason" in no_reason.get_json()["errors"]
    created = client.post(url, headers=headers, json={**payload, "confirm_warnings": True,
                                                      "deviation_reason": "C-arm broken"})
    assert created.status_code == 201 and created.get_json()["targets"][0]["level"] == "L4-L5"
    assert created.get_json()["deviation_reason"] == "C-arm broken"
    listed = client.get(url, headers=headers).get_json()
    assert len(listed) == 2


def test_not_done_and_patient_correction(client, clinic, bearer, db):
    headers = bearer("coordinator")
    url = f"/api/v1/assessments/{clinic.due.id}/not-done"
    assert client.post(url, headers=headers, json={"version": clinic.due.version,
                                                   "reason": ""}).status_code == 422
    done = client.post(url, headers=headers, json={"version": clinic.due.version,
                                                   "reason": "moved away"})
    assert done.status_code == 200 and done.get_json()["state"] == "not_done"
    patch = client.patch(f"/api/v1/patients/{clinic.patient.id}", headers=headers,
                         json={"version": clinic.patient.version, "reason": "typo", "bmi": 28.1})
    assert patch.status_code == 200 and patch.get_json()["bmi"] == 28.1
    db.expire_all()
    assert db.get(Assessment, clinic.due.id).not_done_reason == "moved away"


def test_a_procedure_is_corrected_with_version_and_reason(client, clinic, bearer, db,
                                                         listed_procedure):
    headers = bearer("physician")
    listed, url, recorded = listed_procedure(headers)
    edit = {**recorded, "dap_mgy_cm2": 280.0, "version": listed["version"]}
    refused = client.put(url, headers=headers, json={**edit, "reason": ""})
    assert refused.status_code == 422 and "reason" in refused.get_json()["errors"]
    wrong = client.put(url, headers=headers, json={**edit, "reason": "CT dose", "ctdivol_mgy": 5})
    assert wrong.status_code == 422 and "ctdivol_mgy" in wrong.get_json()["errors"]
    done = client.put(url, headers=headers, json={**edit, "reason": "DAP from the report"})
    assert done.status_code == 200 and done.get_json()["dap_mgy_cm2"] == 280.0
    stale = client.put(url, headers=headers, json={**edit, "reason": "again", "punctures": 3})
    assert stale.status_code == 409
    assert client.put(url, headers=bearer("nurse"), json=edit).status_code == 403
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "procedure",
                                             AuditEvent.field == "dap_mgy_cm2")).one()
    assert (event.old_value, event.new_value, event.reason) == ("350.0", "280.0",
                                                                "DAP from the report")


def test_a_follow_up_with_medication_and_an_adverse_event_is_stored_whole(
        client, clinic, bearer, db):
    headers = bearer("nurse")
    url = f"/api/v1/assessments/{clinic.due.id}/scores"
    follow_up = {"version": clinic.due.version, "mode": "phone",
                 "entries": {"vas": 3, "odi": ODI, "ome": 20}, "missing_reason": NOT_ASKED,
                 "medications": [{"med_class": "opioid", "drug": "tramadol",
                                  "daily_dose_mg": 100}],
                 "adverse_event": {"event_type": "hematoma", "onset_on": ONSET,
                                   "severity": "bogus", "is_related": True}}
    bad = client.post(url, headers=headers, json=follow_up)
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"adverse_event.severity"}
    assert db.exec(select(Score).where(Score.assessment_id == clinic.due.id)).all() == []
    follow_up["adverse_event"]["severity"] = "mild"
    good = client.post(url, headers=headers, json=follow_up)
    assert good.status_code == 201, good.get_json()
    saved = good.get_json()
    assert saved["medications"] == [{"med_class": "opioid", "drug": "tramadol",
                                     "daily_dose_mg": 100.0}]
    [event] = saved["adverse_events"]
    assert (event["event_type"], event["severity"], event["onset_on"]) == (
        "hematoma", "mild", ONSET)
    listed = client.get(f"/api/v1/patients/{clinic.patient.id}/adverse-events",
                        headers=headers).get_json()
    assert [e["id"] for e in listed] == [event["id"]]
    assert db.exec(select(AuditEvent).where(AuditEvent.entity == "adverse_event",
                                            AuditEvent.action == "create")).all()


def test_an_ome_left_blank_beside_an_opioid_is_named(client, clinic, bearer, db):
    follow_up = {"version": clinic.due.version, "mode": "phone", "entries": {"vas": 3},
                 "missing_reason": NOT_ASKED,
                 "medications": [{"med_class": "opioid", "drug": "tramadol",
                                  "daily_dose_mg": 100}]}
    url = f"/api/v1/assessments/{clinic.due.id}/scores"
    bad = client.post(url, headers=bearer("nurse"), json=follow_up)
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == {"ome": (
        "Left blank, but the opioids listed (tramadol 100 mg/day) give 20 mg/day (CDC 2022 "
        "factors). Enter the OME, or correct the medications.")}
    assert db.exec(select(Score).where(Score.assessment_id == clinic.due.id)).all() == []
    follow_up["entries"]["ome"] = 20
    assert client.post(url, headers=bearer("nurse"), json=follow_up).status_code == 201


def test_a_medication_class_its_drug_contradicts_is_named(client, clinic, bearer, db):
    follow_up = {"version": clinic.due.version, "mode": "phone", "entries": {"vas": 3},
                 "missing_reason": NOT_ASKED,
                 "medications": [{"med_class": "opioid", "drug": "Lyrica",
                                  "daily_dose_mg": 150}]}
    bad = client.post(f"/api/v1/assessments/{clinic.due.id}/scores",
                      headers=bearer("nurse"), json=follow_up)
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == {
        "medications.0.med_class": "Lyrica is a gabapentinoid, not an opioid: choose its "
                                   "class, or check the drug's name."}
    assert db.exec(select(Score).where(Score.assessment_id == clinic.due.id)).all() == []


def test_a_score_correction_refuses_fields_it_would_ignore(client, clinic, bearer):
    headers = bearer("nurse")
    edit = client.put(f"/api/v1/assessments/{clinic.due.id}/scores", headers=headers,
                      json={"version": 1, "mode": "phone", "entries": {"vas": 4},
                            "reason": "x", "adverse_event": None})
    assert edit.status_code == 422 and "adverse_event" in edit.get_json()["errors"]


def test_a_score_correction_corrects_the_medications_or_keeps_them(client, clinic, bearer):
    """Found trying the API as a new user would: the analgesics recorded at a visit could
    not be corrected; left out they stay, sent they read as sent, [] removes them."""
    headers = bearer("nurse")
    url = f"/api/v1/assessments/{clinic.due.id}/scores"
    tramadol = {"med_class": "opioid", "drug": "tramadol", "daily_dose_mg": 1000}
    first = {"version": clinic.due.version, "mode": "phone",
             "entries": {"vas": 3, "odi": ODI, "ome": 200}, "missing_reason": NOT_ASKED,
             "medications": [tramadol]}
    refused = client.post(url, headers=headers, json=first)  # 1000 mg: the label says 400
    errors = refused.get_json()["errors"]
    assert refused.status_code == 422 and set(errors) == {"medications.0.daily_dose_mg",
                                                          "doses_confirmed"}, errors
    assert "Tramadol 1000 mg/day, above its labelled maximum (400 mg/day)" in \
        errors["medications.0.daily_dose_mg"]
    assert "marked above" not in errors["doses_confirmed"]
    assert 'send it again with "doses_confirmed": true' in errors["doses_confirmed"]
    saved = client.post(url, headers=headers, json={**first, "doses_confirmed": True}
                        ).get_json()
    edit = {"mode": "phone", "entries": {"vas": 4, "odi": ODI, "ome": 200},
            "reason": "VAS misread"}
    kept = client.put(url, headers=headers, json={**edit, "version": saved["version"]})
    assert kept.status_code == 200 and kept.get_json()["medications"] == [
        {**tramadol, "daily_dose_mg": 1000.0}]
    bad = client.put(url, headers=headers, json={
        **edit, "version": kept.get_json()["version"], "reason": "dose",
        "medications": [{**tramadol, "drug": " "}]})
    assert bad.status_code == 422 and "medications.0.drug" in bad.get_json()["errors"]
    fixed = client.put(url, headers=headers, json={
        **edit, "entries": {"vas": 4, "odi": ODI, "ome": 20},
        "version": kept.get_json()["version"], "reason": "dose typed wrong",
        "medications": [{**tramadol, "daily_dose_mg": 100},
                        {"med_class": "nsaid", "drug": "ibuprofen", "daily_dose_mg": 1200}]})
    assert fixed.status_code == 200, fixed.get_json()
    assert [m["daily_dose_mg"] for m in fixed.get_json()["medications"]] == [100.0, 1200.0]
    emptied = client.put(url, headers=headers, json={
        **edit, "version": fixed.get_json()["version"], "reason": "none taken",
        "medications": []})
    assert emptied.status_code == 200 and emptied.get_json()["medications"] == []


def test_another_sites_adverse_events_are_not_found_for_a_nurse(client, clinic, bearer):
    response = client.get(f"/api/v1/patients/{clinic.other.id}/adverse-events",
                          headers=bearer("nurse"))
    assert response.status_code == 404


def test_a_score_correction_that_leaves_out_a_recorded_value_is_refused(client, clinic,
                                                                        bearer, db):
    """Found trying the API as a new user would: a PUT of the VAS alone erased the OME
    recorded with it, without a word; left out is refused, null removes it."""
    headers = bearer("nurse")
    url = f"/api/v1/assessments/{clinic.due.id}/scores"
    saved = client.post(url, headers=headers, json={
        "version": clinic.due.version, "mode": "phone", "entries": {"vas": 3, "ome": 10},
        "missing_reason": NOT_ASKED})
    assert saved.status_code == 201, saved.get_json()
    version = saved.get_json()["version"]
    ids = {s["instrument"]: s["id"] for s in saved.get_json()["scores"]}  # what a query names
    assert ids["ome"] == db.exec(select(Score.id).where(
        Score.assessment_id == clinic.due.id, Score.instrument == "ome")).one()
    left_out = client.put(url, headers=headers, json={
        "version": version, "mode": "phone", "entries": {"vas": 4}, "reason": "retyped"})
    assert left_out.status_code == 422
    assert "leaves out ome, recorded at this visit" in left_out.get_json()["errors"]["entries"]
    assert sorted(s.instrument for s in db.exec(select(Score).where(
        Score.assessment_id == clinic.due.id))) == ["ome", "vas"]
    removed = client.put(url, headers=headers, json={
        "version": version, "mode": "phone", "entries": {"vas": 4, "ome": None},
        "reason": "OME was not asked"})
    assert removed.status_code == 200, removed.get_json()
    db.expire_all()
    assert [s.instrument for s in db.exec(select(Score).where(
        Score.assessment_id == clinic.due.id))] == ["vas"]


def test_an_adverse_event_is_followed_up_with_version_and_reason(client, clinic, bearer, db):
    headers = bearer("nurse")
    recorded = client.post(f"/api/v1/assessments/{clinic.due.id}/scores", headers=headers, json={
        "version": clinic.due.version, "mode": "phone", "entries": {"vas": 3},
        "missing_reason": NOT_ASKED,
        "adverse_event": {"event_type": "hematoma", "onset_on": ONSET,
                          "severity": "mild", "is_related": True}}).get_json()
    [event] = recorded["adverse_events"]
    url = f"/api/v1/adverse-events/{event['id']}"
    follow_up = {"version": event["version"], "severity": "moderate", "is_related": True,
                 "resolved_on": (date.fromisoformat(ONSET) - timedelta(days=1)).isoformat(),
                 "reason": "Seen again at 1 month"}
    early = client.put(url, headers=headers, json=follow_up)
    assert early.status_code == 422 and "resolved_on" in early.get_json()["errors"]
    follow_up["resolved_on"] = (date.fromisoformat(ONSET) + timedelta(days=1)).isoformat()
    done = client.put(url, headers=headers, json=follow_up)
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["severity"], done.get_json()["is_resolved"]) == ("moderate", True)
    change = db.exec(select(AuditEvent).where(AuditEvent.entity == "adverse_event",
                                              AuditEvent.field == "severity")).one()
    assert (change.old_value, change.new_value, change.reason) == (
        "mild", "moderate", "Seen again at 1 month")
    stale = client.put(url, headers=headers, json=follow_up | {"severity": "severe"})
    assert stale.status_code == 409
    unchanged = client.put(url, headers=headers, json=follow_up | {"version": 2})
    assert unchanged.status_code == 422 and "reason" in unchanged.get_json()["errors"]


def test_an_adverse_events_notes_and_resolution_left_out_stay_as_recorded(client, clinic,
                                                                          bearer, db):
    """Found trying the API as a new user would: a follow-up that left out the notes
    erased them, while the schema said a field left out stays as recorded."""
    headers = bearer("nurse")
    recorded = client.post(f"/api/v1/assessments/{clinic.due.id}/scores", headers=headers, json={
        "version": clinic.due.version, "mode": "phone", "entries": {"vas": 3},
        "missing_reason": NOT_ASKED,
        "adverse_event": {"event_type": "hematoma", "onset_on": ONSET, "severity": "mild",
                          "is_related": True, "notes": "Bruise at the entry point"}}).get_json()
    [event] = recorded["adverse_events"]
    url = f"/api/v1/adverse-events/{event['id']}"
    resolved = (date.fromisoformat(ONSET) + timedelta(days=2)).isoformat()
    first = client.put(url, headers=headers, json={
        "version": event["version"], "severity": "moderate", "is_related": True,
        "resolved_on": resolved, "reason": "Seen again"})
    assert first.status_code == 200, first.get_json()
    assert (first.get_json()["notes"], first.get_json()["resolved_on"]) == (
        "Bruise at the entry point", resolved)
    second = client.put(url, headers=headers, json={
        "version": first.get_json()["version"], "severity": "moderate", "is_related": True,
        "reason": "Typed as mild by mistake", "resolved_on": "", "notes": None})
    assert second.status_code == 200, second.get_json()  # "" and null clear them
    assert (second.get_json()["notes"], second.get_json()["resolved_on"]) == (None, None)
    soon = client.put(url, headers=headers, json={
        "version": second.get_json()["version"], "severity": "mild", "is_related": True,
        "reason": "again", "resolved_on": "soon"}).get_json()["errors"]["resolved_on"]
    assert soon.startswith("send the date as ISO 8601 text"), soon  # no "value error, "


def test_a_patients_laterality_is_shown_and_corrected(client, clinic, bearer, db):
    headers = bearer("coordinator")
    url = f"/api/v1/patients/{clinic.patient.id}"
    shown = client.get(url, headers=headers).get_json()
    assert shown["root_laterality"] == {"L4": "unilateral"}
    listed = client.get("/api/v1/patients", headers=headers).get_json()
    assert listed and all(p.get("root_laterality") is None for p in listed)  # one patient's only
    wrong = client.patch(url, headers=headers, json={
        "version": shown["version"], "reason": "MRI re-read",
        "root_laterality": {"L4": "sideways", "C5": "unilateral"}})
    assert wrong.status_code == 422 and "root_laterality" in str(wrong.get_json()["errors"])
    said = " ".join(wrong.get_json()["errors"].values())
    assert 'bilateral, "" (not given)' in said and "bilateral, ," not in said, said
    done = client.patch(url, headers=headers, json={
        "version": shown["version"], "reason": "MRI re-read",
        "root_laterality": {"L4": "", "L5": "bilateral"}})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["root_laterality"] == {"L5": "bilateral"}
    assert done.get_json()["version"] == shown["version"] + 1


def test_the_api_corrects_a_visit_date_checked_as_at_entry(client, clinic, bearer, db, app):
    headers = bearer("nurse")
    url = f"/api/v1/assessments/{clinic.due.id}/scores"
    first = client.post(url, headers=headers, json={"version": clinic.due.version,
                                                    "missing_reason": NOT_ASKED,
                                                    "mode": "phone", "entries": {"vas": 3}})
    version = first.get_json()["version"]
    today = today_in(app)
    body = {"version": version, "mode": "phone", "entries": {"vas": 3}, "reason": "wrong day"}
    future = client.put(url, headers=headers,
                        json={**body, "visit_on": (today + timedelta(days=2)).isoformat()})
    assert future.status_code == 422 and "future" in future.get_json()["errors"]["visit_on"]
    day = (today - timedelta(days=1)).isoformat()
    moved = client.put(url, headers=headers, json={**body, "visit_on": day})
    assert moved.status_code == 200 and moved.get_json()["visit_on"] == day


def test_no_visit_is_dated_before_the_patients_consent(client, clinic, bearer, db, app):
    """Found attacking the date correction: a baseline dated 2020-01-01, years before
    the consent and the enrollment, was saved."""
    from clinic.models import Enrollment, StudyTimepoint

    enrollment = db.exec(select(Enrollment).where(
        Enrollment.patient_id == clinic.patient.id)).one()
    consent = enrollment.consent_on or enrollment.enrolled_on
    baseline = db.exec(select(Assessment).join(StudyTimepoint).where(
        Assessment.patient_id == clinic.patient.id, StudyTimepoint.is_baseline)).one()
    url = f"/api/v1/assessments/{baseline.id}/scores"
    body = {"version": baseline.version, "mode": "in_clinic", "entries": {"vas": 6},
            "missing_reason": NOT_ASKED}
    early = client.post(url, headers=bearer("nurse"),
                        json={**body, "visit_on": (consent - timedelta(days=1)).isoformat()})
    assert early.status_code == 422
    assert "before the patient's consent" in early.get_json()["errors"]["visit_on"]
    saved = client.post(url, headers=bearer("nurse"),
                        json={**body, "visit_on": consent.isoformat()})
    assert saved.status_code == 201, saved.get_json()
    moved = client.put(url, headers=bearer("nurse"), json={
        "version": saved.get_json()["version"], "mode": "in_clinic", "entries": {"vas": 6},
        "reason": "typed the wrong year", "visit_on": "2020-01-01"})
    assert moved.status_code == 422 and "consent" in moved.get_json()["errors"]["visit_on"]


def test_a_satisfaction_read_from_the_api_is_sent_back_as_it_came(client, clinic, bearer):
    """Found attacking the API: GET showed satisfaction 3.0, and a PUT of it was refused
    ("input should be 'very_unsatisfied', …")."""

    headers = bearer("nurse")
    url = f"/api/v1/assessments/{clinic.due.id}/scores"
    asked = [m for m in client.get(f"/api/v1/assessments/{clinic.due.id}",
                                   headers=headers).get_json()["measures"]
             if m.startswith("satisfaction")]
    assert asked
    first = client.post(url, headers=headers, json={
        "version": clinic.due.version, "mode": "phone",
        "missing_reason": NOT_ASKED,
        "entries": {"vas": 3, **{m: "satisfied" for m in asked}}})
    assert first.status_code == 201, first.get_json()
    shown = {s["instrument"]: s["value"] for s in first.get_json()["scores"]}
    assert shown[asked[0]] == 3.0
    again = client.put(url, headers=headers, json={
        "version": first.get_json()["version"], "mode": "phone", "reason": "VAS misread",
        "entries": {"vas": 4, **{m: shown[m] for m in asked}}})
    assert again.status_code == 200, again.get_json()
    half = client.put(url, headers=headers, json={
        "version": again.get_json()["version"], "mode": "phone", "reason": "half",
        "entries": {"vas": 3, asked[0]: 2.5}})
    assert half.status_code == 422


def test_an_empty_or_padded_date_is_refused_in_words(client, clinic, bearer):
    """Found attacking the API: visit_on "" read pydantic's 'input is too short', and a
    trailing space the same words although the input was too long."""
    url = f"/api/v1/assessments/{clinic.due.id}/scores"
    for bad in ("", "2026-12-03 ", " 2026-12-03", "2026/12/03"):
        refused = client.post(url, headers=bearer("nurse"), json={
            "version": clinic.due.version, "mode": "phone", "entries": {"vas": 3},
            "visit_on": bad})
        assert refused.status_code == 422, bad
        assert "ISO 8601" in refused.get_json()["errors"]["visit_on"], bad


def test_a_second_procedure_on_the_clinics_day_warns_whatever_offset_it_is_given_in(
        client, clinic, bearer, db):
    """The day is the clinic's (Europe/Berlin): 23:30 UTC is the next day there."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from clinic.models import Procedure

    first = db.exec(select(Procedure).where(Procedure.patient_id == clinic.patient.id)).one()
    berlin = first.performed_at.astimezone(ZoneInfo("Europe/Berlin"))
    late_evening_before = (berlin.replace(hour=0, minute=30) - timedelta(hours=1)
                           ).astimezone(ZoneInfo("UTC"))  # 23:30 Berlin of the day before
    just_after_midnight = berlin.replace(hour=0, minute=30).astimezone(ZoneInfo("UTC"))
    url = f"/api/v1/patients/{clinic.patient.id}/procedures"
    payload = {"modality": first.modality, "procedure_type": "tfesi", "punctures": 1,
               "targets": [{"level": "L4-L5", "side": "left"}], "dap_mgy_cm2": 300,
               "fluoroscopy_time_s": 30, "confirm_warnings": False}
    same = client.post(url, headers=bearer("physician"),
                       json={**payload, "performed_at": just_after_midnight.isoformat()})
    assert same.status_code == 422
    assert "already has a procedure on" in same.get_json()["errors"]["confirm_warnings"]
    before = client.post(url, headers=bearer("physician"),
                         json={**payload, "performed_at": late_evening_before.isoformat()})
    assert "already has a procedure" not in str(before.get_json())


def test_a_procedure_planned_for_tomorrow_in_the_clinic_is_no_deviation_in_any_offset(
        client, clinic, bearer, db):
    """Found re-checking: 23:30 UTC, already tomorrow in Berlin, was planned for the dose
    check but not for the deviation check, which asked for a dose it cannot have yet."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from clinic.models import Procedure

    berlin = ZoneInfo("Europe/Berlin")
    tomorrow = datetime.now(berlin).date() + timedelta(days=1)
    when = datetime.combine(tomorrow, time(0, 30), tzinfo=berlin).astimezone(ZoneInfo("UTC"))
    first = db.exec(select(Procedure).where(Procedure.patient_id == clinic.patient.id)).one()
    created = client.post(f"/api/v1/patients/{clinic.patient.id}/procedures",
                          headers=bearer("physician"), json={
                              "performed_at": when.isoformat(), "modality": first.modality,
                              "procedure_type": "tfesi", "punctures": 1,
                              "targets": [{"level": "L4-L5", "side": "left"}]})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["deviation_reason"] is None


def test_a_visit_before_its_window_or_far_after_it_is_confirmed_as_on_the_form(
        client, clinic, bearer, db, app):
    """The entry form asks "The date is right" first; the API took the same date
    silently. Now it refuses it (422 on date_confirmed) until the client confirms."""
    from tests.web.test_followup import _week_1_long_ago

    week_1 = _week_1_long_ago(db, clinic, app)
    url = f"/api/v1/assessments/{week_1.id}/scores"
    early = week_1.window_open - timedelta(days=2)
    body = {"version": week_1.version, "mode": "phone", "entries": {"vas": 3},
            "visit_on": str(early), "missing_reason": NOT_ASKED}
    headers = bearer("nurse")
    for asked in (body, body | {"visit_on": None}):  # 2 days early; today, months late
        refused = client.post(url, headers=headers, json=asked)
        assert refused.status_code == 422, refused.get_json()
        message = refused.get_json()["errors"]["date_confirmed"]
        assert '"date_confirmed": true' in message and "tick" not in message
        assert db.exec(select(Score).where(Score.assessment_id == week_1.id)).all() == []
    assert "2 days before this visit's window opens" in client.post(
        url, headers=headers, json=body).get_json()["errors"]["date_confirmed"]
    kept = client.post(url, headers=headers, json=body | {"date_confirmed": True})
    assert kept.status_code == 201, kept.get_json()
    db.expire_all()
    assert db.get(Assessment, week_1.id).visit_on == early


def test_a_follow_up_missing_an_outcome_needs_its_reason_as_on_the_form(client, clinic,
                                                                        bearer, db):
    """Found trying the API as a new user would: a VAS alone completed a visit that asks
    for the ODI too, with no reason; the form refuses it."""
    url = f"/api/v1/assessments/{clinic.due.id}/scores"
    alone = client.post(url, headers=bearer("nurse"), json={
        "version": clinic.due.version, "mode": "phone", "entries": {"vas": 3}})
    assert alone.status_code == 422
    said = alone.get_json()["errors"]["missing_reason"]
    assert "Oswestry Disability Index" in said and '"missing_reason"' in said
    db.expire_all()
    assert db.get(Assessment, clinic.due.id).state == "pending"
    given = client.post(url, headers=bearer("nurse"), json={
        "version": clinic.due.version, "mode": "phone", "entries": {"vas": 3},
        "missing_reason": "patient declined the questionnaire"})
    assert given.status_code == 201
    assert given.get_json()["missing_reason"] == "patient declined the questionnaire"


def test_a_reason_sent_with_nothing_missing_is_refused_in_the_apis_words(client, clinic,
                                                                          bearer, db):
    """As on the form: a "missing_reason" beside every outcome and every section is
    refused (it was dropped without a word), and said as the API's body names it."""
    url = f"/api/v1/assessments/{clinic.due.id}/scores"
    every = {"version": clinic.due.version, "mode": "phone",
             "entries": {"vas": 3, "odi": ODI, "satisfaction_results": "satisfied"}}
    refused = client.post(url, headers=bearer("nurse"), json=every | {
        "missing_reason": "Patient skipped the sex-life section"})
    assert refused.status_code == 422, refused.get_json()
    said = refused.get_json()["errors"]["missing_reason"]
    assert said.startswith("Nothing needs a reason") and "box" not in said
    assert 'Send no "missing_reason", or null for the outcome' in said
    assert db.exec(select(Score).where(Score.assessment_id == clinic.due.id)).all() == []
    assert client.post(url, headers=bearer("nurse"), json=every).status_code == 201


def test_a_visit_marked_not_done_is_reopened_by_api_then_recorded(client, clinic, bearer, app):
    """Found trying the API as a new user would: a visit marked not done answered 'reopen
    it first (on its page)', a page the integrator has not; the API reopens it now."""
    headers = bearer("nurse")
    url = f"/api/v1/assessments/{clinic.due.id}"
    skipped = client.post(f"{url}/not-done", headers=headers,
                          json={"version": clinic.due.version, "reason": "Patient in hospital"})
    assert skipped.status_code == 200, skipped.get_json()
    version = skipped.get_json()["version"]
    refused = client.post(f"{url}/scores", headers=headers, json={
        "version": version, "mode": "phone", "entries": {"vas": 3},
        "missing_reason": NOT_ASKED})
    assert refused.status_code == 422
    assert "POST /assessments/{id}/reopen" in str(refused.get_json()["errors"])
    reopened = client.post(f"{url}/reopen", headers=headers,
                           json={"version": version, "reason": "Patient called back"})
    assert reopened.status_code == 200, reopened.get_json()
    saved = client.post(f"{url}/scores", headers=headers, json={
        "version": reopened.get_json()["version"], "mode": "phone", "entries": {"vas": 3},
        "missing_reason": NOT_ASKED})
    assert saved.status_code == 201, saved.get_json()
