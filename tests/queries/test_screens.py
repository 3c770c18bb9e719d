"""Data queries on screen: a monitor raises one on a value, the nurse sees it on her
worklist and on the value, answers it by a correction with a reason; the monitor closes
it. A monitor reads but never writes clinical data, and never sees identity."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from clinic.audit import set_actor
from clinic.db import get_engine
from clinic.followup.service import record_follow_up
from clinic.models import Assessment, DataQuery, Score
from tests.web.helpers import login


def _recorded_vas(app, clinic, value: float = 7) -> tuple[int, int]:
    with Session(get_engine(app), expire_on_commit=False) as db:
        due = db.get(Assessment, clinic.due.id)
        set_actor(db, clinic.users["nurse"].id, None)
        record_follow_up(db, assessment=due, entries={"vas": value}, mode="phone",
                         actor_id=clinic.users["nurse"].id)
        db.commit()
        score = db.exec(select(Score).where(Score.assessment_id == due.id)).one()
        return score.id, due.version


def test_monitor_raises_nurse_corrects_monitor_closes(app, clinic):
    score_id, version = _recorded_vas(app, clinic)
    key = f"score:{score_id}:value"
    monitor, nurse = app.test_client(), app.test_client()
    login(monitor, clinic.users["monitor"])
    page = monitor.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert f'href="/queries/new?target={key}"' in page
    empty = monitor.post("/queries/new", data={"target": key, "text": " "})
    assert empty.status_code == 422 and "Write the question" in empty.get_data(as_text=True)
    raised = monitor.post("/queries/new", data={"target": key,
                                                "text": "Source document says VAS 5?"})
    assert raised.status_code == 302
    with Session(get_engine(app)) as db:
        query = db.exec(select(DataQuery).where(DataQuery.target_id == score_id,
                                                DataQuery.target_table == "score")).one()

    login(nurse, clinic.users["nurse"])
    worklist = nurse.get("/worklist").get_data(as_text=True)
    assert re.search(r"1 open data query\s+at your site", worklist)
    patient_page = nurse.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert f"⚑ query #{query.id} open" in patient_page
    shown = nurse.get(f"/queries/{query.id}").get_data(as_text=True)
    assert "Source document says VAS 5?" in shown and "Correct the value" in shown
    form = nurse.get(f"/followup/{clinic.due.id}/edit?query={query.id}").get_data(as_text=True)
    assert f'name="query" value="{query.id}"' in form
    corrected = nurse.post(f"/followup/{clinic.due.id}/edit", data={
        "mode": "phone", "vas": "5", "version": str(version), "query": str(query.id),
        "reason": "Transcription error, source says 5"})
    assert corrected.status_code == 302
    assert f"Query #{query.id} is answered" in nurse.get("/").get_data(as_text=True)

    closed = monitor.post(f"/queries/{query.id}/close", data={"text": "Thanks"})
    assert closed.status_code == 302
    final = monitor.get(f"/queries/{query.id}").get_data(as_text=True)
    assert 'id="value-now">5<' in final
    steps = re.findall(r"<li><strong>(\w[\w-]*)</strong> by ([^,]+),", final)
    assert steps == [("Raised", "Test monitor"), ("Answered", "Test nurse"),
                     ("Closed", "Test monitor")]
    assert "1 open data quer" not in nurse.get("/worklist").get_data(as_text=True)


def test_a_monitor_reads_but_cannot_write_and_sees_no_identity(client, clinic, app):
    _recorded_vas(app, clinic)
    login(client, clinic.users["monitor"])
    page = client.get(f"/patients/{clinic.patient.id}")
    assert page.status_code == 200 and "Identifying data" not in page.get_data(as_text=True)
    assert client.get(f"/patients/{clinic.patient.id}/identity").status_code in (403, 404)
    for url in (f"/followup/{clinic.due.id}/edit", f"/patients/{clinic.patient.id}/edit",
                "/worklist", f"/patients/{clinic.patient.id}/procedures/new"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/followup/{clinic.due.id}/edit", data={"vas": "1"}).status_code == 403


def test_a_nurse_sees_and_answers_only_her_sites_queries(client, clinic, app):
    with Session(get_engine(app), expire_on_commit=False) as db:
        from clinic.queries.service import raise_query

        other = raise_query(db, table="patient", row_id=clinic.other.id, field="bmi",
                            text="BMI plausible?", actor_id=clinic.users["monitor"].id)
        db.commit()
    login(client, clinic.users["nurse"])
    assert client.get(f"/queries/{other.id}").status_code == 404
    assert client.post(f"/queries/{other.id}/answer", data={"text": "ok"}).status_code == 404
    listing = client.get("/queries?status=").get_data(as_text=True)
    assert f"#{other.id}<" not in listing
    assert client.get("/queries?status=bogus").status_code == 422


def test_raising_on_a_value_that_does_not_exist_is_a_clear_404(client, clinic):
    login(client, clinic.users["monitor"])
    for key in ("score:999999:value", "patient:1:name", "nonsense"):
        response = client.get(f"/queries/new?target={key}")
        assert response.status_code == 404, key
