"""A monitor raises a data query on an adverse event (its onset, type, severity,
relatedness, resolution or notes); the site answers it by correcting the event with a
reason on the event's own form, which now corrects its type and onset too."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from clinic.models import AdverseEvent, AuditEvent, DataQuery, DataQueryStep
from tests.web.helpers import login


def test_monitor_queries_the_onset_and_the_nurse_corrects_it(app, clinic, db, event):
    key = f"adverse_event:{event.id}:onset_on"
    monitor, nurse = app.test_client(), app.test_client()
    login(monitor, clinic.users["monitor"])
    page = monitor.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert f'href="/queries/new?target={key}"' in page
    form = monitor.get(f"/queries/new?target={key}").get_data(as_text=True)
    assert "Adverse event Transient headache of" in form and "onset" in form
    raised = monitor.post("/queries/new", data={
        "target": key, "text": "The discharge letter dates it a day later?"})
    assert raised.status_code == 302
    query = db.exec(select(DataQuery).where(DataQuery.target_table == "adverse_event")).one()
    assert query.value_when_raised == event.onset_on.isoformat()
    assert query.field == "onset_on" and query.patient_id == clinic.patient.id

    login(nurse, clinic.users["nurse"])
    shown = nurse.get(f"/queries/{query.id}").get_data(as_text=True)
    assert f'/adverse-events/{event.id}/edit?query={query.id}' in shown
    edit = nurse.get(f"/adverse-events/{event.id}/edit?query={query.id}").get_data(as_text=True)
    assert f'name="query" value="{query.id}"' in edit and 'name="onset_on"' in edit
    first = event.onset_on
    later = first + timedelta(days=1)
    saved = nurse.post(f"/adverse-events/{event.id}/edit", data={
        "event_type": "transient_headache", "onset_on": later.isoformat(),
        "severity": "mild", "is_related": "yes", "resolved_on": "", "notes": "",
        "version": str(event.version), "query": str(query.id),
        "reason": "Discharge letter: onset the day after"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    home = nurse.get("/").get_data(as_text=True)
    assert f"Query #{query.id} is answered" in home and "onset" in home
    db.expire_all()
    assert db.get(AdverseEvent, event.id).onset_on == later
    assert db.get(DataQuery, query.id).status == "answered"
    change = db.exec(select(AuditEvent).where(AuditEvent.entity == "adverse_event",
                                              AuditEvent.field == "onset_on")).one()
    assert change.old_value == first.isoformat()
    assert change.new_value == later.isoformat()


def test_a_correction_answers_the_open_query_on_the_value_it_changes(app, clinic, db, event):
    monitor, nurse = app.test_client(), app.test_client()
    login(monitor, clinic.users["monitor"])
    for field in ("severity", "notes"):
        assert monitor.post("/queries/new", data={
            "target": f"adverse_event:{event.id}:{field}",
            "text": f"Please check the {field}."}).status_code == 302
    login(nurse, clinic.users["nurse"])
    saved = nurse.post(f"/adverse-events/{event.id}/edit", data={  # no query named
        "event_type": "transient_headache", "onset_on": event.onset_on.isoformat(),
        "severity": "moderate", "is_related": "yes", "resolved_on": "", "notes": "",
        "version": str(event.version), "reason": "Graded again at the phone call"})
    assert saved.status_code == 302
    db.expire_all()
    states = {q.field: q.status for q in db.exec(select(DataQuery).where(
        DataQuery.target_table == "adverse_event"))}
    assert states == {"severity": "answered", "notes": "open"}
    step = db.exec(select(DataQueryStep).where(DataQueryStep.step == "answered")).one()
    assert "Graded again at the phone call" in step.text


def test_a_changed_type_to_other_needs_what_happened(client, clinic, db, event):
    login(client, clinic.users["nurse"])
    refused = client.post(f"/adverse-events/{event.id}/edit", data={
        "event_type": "other", "onset_on": event.onset_on.isoformat(), "severity": "mild",
        "is_related": "yes", "resolved_on": "", "notes": "", "version": str(event.version),
        "reason": "Not a headache after all"})
    assert refused.status_code == 422
    assert "Say what happened" in refused.get_data(as_text=True)
    future = client.post(f"/adverse-events/{event.id}/edit", data={
        "event_type": "transient_headache",
        "onset_on": (date.today() + timedelta(days=30)).isoformat(), "severity": "mild",
        "is_related": "yes", "resolved_on": "", "notes": "", "version": str(event.version),
        "reason": "Typo"})
    assert future.status_code == 422 and "in the future" in future.get_data(as_text=True)
    db.expire_all()
    assert db.get(AdverseEvent, event.id).event_type == "transient_headache"


def test_the_query_reads_yes_and_no_for_relatedness(app, clinic, db, event):
    monitor = app.test_client()
    login(monitor, clinic.users["monitor"])
    assert monitor.post("/queries/new", data={
        "target": f"adverse_event:{event.id}:is_related",
        "text": "The operator's note says unrelated?"}).status_code == 302
    query = db.exec(select(DataQuery).where(DataQuery.target_table == "adverse_event")).one()
    assert query.value_when_raised == "Yes"
    assert "related to the procedure" in query.label


def test_a_correction_of_another_field_leaves_the_query_open_and_says_so(app, clinic, db,
                                                                       event):
    """Opened from a query on the type, a change of the onset alone marked it answered
    ('Corrected') beside the same type (found trying the screens as a new user would)."""
    monitor, nurse = app.test_client(), app.test_client()
    login(monitor, clinic.users["monitor"])
    assert monitor.post("/queries/new", data={
        "target": f"adverse_event:{event.id}:event_type",
        "text": "Was it a hematoma?"}).status_code == 302
    query = db.exec(select(DataQuery).where(DataQuery.target_table == "adverse_event")).one()
    login(nurse, clinic.users["nurse"])
    saved = nurse.post(f"/adverse-events/{event.id}/edit", data={
        "event_type": "transient_headache", "onset_on": event.onset_on.isoformat(),
        "severity": "moderate", "is_related": "yes", "resolved_on": "", "notes": "",
        "version": str(event.version), "query": str(query.id), "reason": "Regraded"})
    assert saved.status_code == 302
    home = nurse.get("/").get_data(as_text=True)
    assert f"Query #{query.id} asks about" in home and "it stays open" in home
    db.expire_all()
    assert db.get(DataQuery, query.id).status == "open"


def test_a_correction_form_shows_only_its_own_patients_question(app, clinic, db, event):
    from clinic.queries.service import raise_query

    elsewhere = raise_query(db, table="patient", row_id=clinic.other.id, field="bmi",
                            text="South site: BMI from the referral?",
                            actor_id=clinic.users["monitor"].id)
    db.commit()
    nurse = app.test_client()
    login(nurse, clinic.users["nurse"])
    page = nurse.get(f"/adverse-events/{event.id}/edit?query={elsewhere.id}")
    assert page.status_code == 200
    assert "South site" not in page.get_data(as_text=True)
    assert 'name="query"' not in page.get_data(as_text=True)


def test_the_api_corrects_type_and_onset_and_answers_the_queries_on_them(app, clinic, db,
                                                                          event, bearer):
    """The API changed only the follow-up fields and left the query on a corrected value
    open (found trying the API as a new user would)."""
    client = app.test_client()
    monitor = app.test_client()
    login(monitor, clinic.users["monitor"])
    assert monitor.post("/queries/new", data={
        "target": f"adverse_event:{event.id}:event_type",
        "text": "A headache, or dizziness?"}).status_code == 302
    response = client.put(f"/api/v1/adverse-events/{event.id}", headers=bearer("nurse"), json={
        "version": event.version, "reason": "Chart says dizziness",
        "event_type": "transient_dizziness", "severity": "mild", "is_related": True})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["event_type"] == "transient_dizziness"
    db.expire_all()
    query = db.exec(select(DataQuery).where(DataQuery.target_table == "adverse_event")).one()
    assert query.status == "answered"
    step = db.exec(select(DataQueryStep).where(DataQueryStep.query_id == query.id,
                                               DataQueryStep.step == "answered")).one()
    assert "Chart says dizziness" in step.text
