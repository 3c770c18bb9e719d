"""Data queries on screen: a monitor raises one on a value, the nurse sees it on her
worklist and on the value, answers it by a correction with a reason; the monitor closes
it. A monitor reads but never writes clinical data, and never sees identity."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from clinic.audit import set_actor
from clinic.db import get_engine
from clinic.followup.service import record_follow_up
from clinic.models import Assessment, DataQuery, Procedure, Score
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
    again = monitor.get(f"/queries/new?target={key}").get_data(as_text=True)
    assert 'id="asked-already"' in again  # the open one is shown before a second is raised
    assert f'href="/queries/{query.id}">Query #{query.id}</a> (open): Source document' in again
    unanswered = monitor.post(f"/queries/{query.id}/close", data={"text": ""})
    assert unanswered.status_code == 422
    assert "Say why it is closed without an answer" in unanswered.get_data(as_text=True)

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


def _bmi_query(app, clinic, patient, answer: str | None = None):
    """A monitor's query on ``patient``'s BMI, answered by the nurse if ``answer``."""
    from clinic.queries.service import answer_query, raise_query

    with Session(get_engine(app), expire_on_commit=False) as db:
        query = raise_query(db, table="patient", row_id=patient.id, field="bmi",
                            text="BMI plausible?", actor_id=clinic.users["monitor"].id)
        if answer:
            answer_query(db, query, text=answer, actor_id=clinic.users["nurse"].id)
        db.commit()
    return query


def test_a_nurse_sees_and_answers_only_her_sites_queries(client, clinic, app):
    other = _bmi_query(app, clinic, clinic.other)
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


@pytest.mark.parametrize("url", ["/queries/new?target=score:99999999999999999999999:value",
                                 "/queries/new?target=score:%C2%B2:value",
                                 "/queries/new?target=score:%D9%A3:value"])
def test_odd_targets_are_a_404_never_a_500(client, clinic, url):
    login(client, clinic.users["monitor"])
    assert client.get(url).status_code == 404
    assert client.post(url, data={"text": "x"}).status_code in (400, 404)


def test_odd_filters_and_cursors_are_refused_on_the_page(client, clinic):
    login(client, clinic.users["monitor"])
    for url in ("/queries?cursor=Wzk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5XQ", "/queries?site=abc",
                "/queries?limit=100000", "/queries?cursor=garbage"):
        response = client.get(url)
        assert response.status_code == 422, url
        assert "The open queries are shown instead" in response.get_data(as_text=True)


def test_the_pager_keeps_the_page_size(app, client, clinic):
    from clinic.queries.service import raise_query

    with Session(get_engine(app)) as db:
        for i in range(3):
            raise_query(db, table="patient", row_id=clinic.patient.id, field="bmi",
                        text=f"q{i}", actor_id=clinic.users["monitor"].id)
        db.commit()
    login(client, clinic.users["monitor"])
    page = client.get("/queries?limit=1").get_data(as_text=True)
    link = re.search(r'<a rel="next" href="([^"]+)"', page).group(1)
    assert "limit=1" in link


def test_the_correction_link_is_offered_only_to_who_may_use_it(app, clinic):
    from clinic.queries.service import raise_query

    score_id, _ = _recorded_vas(app, clinic)
    with Session(get_engine(app), expire_on_commit=False) as db:
        procedure = db.exec(select(Procedure).where(
            Procedure.patient_id == clinic.patient.id)).first()
        queries = {kind: raise_query(db, table=table, row_id=row, field=field, text="?",
                                     actor_id=clinic.users["monitor"].id)
                   for kind, (table, row, field) in {
                       "score": ("score", score_id, "value"),
                       "dose": ("procedure", procedure.id, "dap_mgy_cm2"),
                       "date": ("assessment", clinic.due.id, "visit_on")}.items()}
        db.commit()
    offered, alone = {}, {}
    for role in ("nurse", "physician"):
        client = app.test_client()
        login(client, clinic.users[role])
        pages = {kind: client.get(f"/queries/{q.id}").get_data(as_text=True)
                 for kind, q in queries.items()}
        offered[role] = {kind: "Correct the value" in page for kind, page in pages.items()}
        # no "Or explain" where there is nothing to be "or" to (a new user's finding)
        alone[role] = {kind: "Or explain why" in page for kind, page in pages.items()}
    assert offered == {"nurse": {"score": True, "dose": False, "date": True},
                       "physician": {"score": False, "dose": True, "date": False}}
    assert alone == offered


def test_a_refused_answer_keeps_what_was_typed(app, client, clinic):
    from clinic.queries.service import close_query, raise_query

    with Session(get_engine(app), expire_on_commit=False) as db:
        q = raise_query(db, table="patient", row_id=clinic.patient.id, field="bmi",
                        text="BMI?", actor_id=clinic.users["monitor"].id)
        close_query(db, q, text="Raised in error", actor_id=clinic.users["monitor"].id)  # meanwhile
        db.commit()
    login(client, clinic.users["coordinator"])
    response = client.post(f"/queries/{q.id}/reopen", data={"text": ""})
    assert response.status_code == 422 and "Say why it is re-opened" in \
        response.get_data(as_text=True)
    nurse = app.test_client()
    login(nurse, clinic.users["nurse"])
    with Session(get_engine(app), expire_on_commit=False) as db:
        from clinic.queries.service import reopen_query
        reopen_query(db, db.get(DataQuery, q.id), text="again", actor_id=None)
        db.commit()
        close_query(db, db.get(DataQuery, q.id), text="Raised in error", actor_id=None)
        db.commit()
    refused = nurse.post(f"/queries/{q.id}/answer", data={"text": "Measured twice, 31.2"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "This query is closed" in page
    assert 'id="typed-back"' in page and "Measured twice, 31.2" in page


def test_a_monitor_reads_the_audit_trail(client, clinic):
    login(client, clinic.users["monitor"])
    assert client.get(f"/studies/{clinic.study.code}/audit").status_code == 200


def _date_query(app, clinic, text: str = "Date?"):
    """A recorded visit with a monitor's query on its date: (query, visit version, visit
    date, the nurse's logged-in client)."""
    from clinic.queries.service import raise_query

    _, version = _recorded_vas(app, clinic)
    with Session(get_engine(app), expire_on_commit=False) as db:
        query = raise_query(db, table="assessment", row_id=clinic.due.id, field="visit_on",
                            text=text, actor_id=clinic.users["monitor"].id)
        visit_on = db.get(Assessment, clinic.due.id).visit_on
        db.commit()
    nurse = app.test_client()
    login(nurse, clinic.users["nurse"])
    return query, version, visit_on, nurse


def test_a_query_on_a_visit_date_is_answered_by_correcting_the_date(app, clinic):
    """Found testing as a new user would: a query on a visit's date offered only an
    explanation, since no screen corrected the date."""
    query, version, visit_on, nurse = _date_query(app, clinic, "Date of the visit?")
    shown = nurse.get(f"/queries/{query.id}").get_data(as_text=True)
    link = f'href="/followup/{clinic.due.id}/edit?query={query.id}"'
    assert "Correct the value" in shown and link in shown
    day = visit_on - timedelta(days=2)
    corrected = nurse.post(f"/followup/{clinic.due.id}/edit", data={
        "mode": "phone", "vas": "7", "version": str(version), "query": str(query.id),
        "visit_on": day.isoformat(), "reason": "The source says two days earlier"})
    assert corrected.status_code == 302
    with Session(get_engine(app)) as db:
        assert db.get(Assessment, clinic.due.id).visit_on == day
        assert db.get(DataQuery, query.id).status == "answered"


def test_a_correction_from_a_query_that_leaves_its_value_answers_it_not(app, clinic):
    """Found trying the screens as a new user would: a follow-up's correction opened from
    a query on its date, changing only the VAS, answered the query with "Corrected"
    beside the same date."""
    query, version, visit_on, nurse = _date_query(app, clinic)
    corrected = nurse.post(f"/followup/{clinic.due.id}/edit", follow_redirects=True, data={
        "mode": "phone", "vas": "6", "version": str(version), "query": str(query.id),
        "visit_on": visit_on.isoformat(), "reason": "VAS retyped from the sheet"})
    page = html.unescape(corrected.get_data(as_text=True))
    assert "follow-up corrected" in page and f"Query #{query.id} is answered" not in page
    assert f"Query #{query.id} asks about" in page and "it stays open" in page
    with Session(get_engine(app)) as db:
        assert db.get(DataQuery, query.id).status == "open"


def test_a_correction_form_says_it_answers_a_query_only_while_it_is_open(app, clinic):
    from clinic.queries.service import close_query

    query, _version, _day, nurse = _date_query(app, clinic)
    url = f"/followup/{clinic.due.id}/edit?query={query.id}"
    page = nurse.get(url).get_data(as_text=True)
    assert "Saving a correction of that value answers it" in page
    assert html.escape(query.text) in page, "the question is on the form it is answered from"
    with Session(get_engine(app)) as db:
        close_query(db, db.get(DataQuery, query.id), text="fine",
                    actor_id=clinic.users["monitor"].id)
        db.commit()
    assert "answers it" not in nurse.get(url).get_data(as_text=True)
    assert nurse.get(f"/followup/{clinic.due.id}/edit?query=%C2%B3").status_code == 200


def test_a_date_corrected_from_the_visits_own_form_answers_the_query_on_it(app, clinic):
    """Found testing as a new user would: a date corrected from the visit's Correct link
    (not from the query's page) left the open query on the date open, naming the old
    date."""
    query, version, visit_on, nurse = _date_query(app, clinic)
    corrected = nurse.post(f"/followup/{clinic.due.id}/edit", data={
        "mode": "phone", "vas": "7", "version": str(version),
        "visit_on": (visit_on - timedelta(days=1)).isoformat(), "reason": "source: a day before"})
    assert corrected.status_code == 302
    assert f"Query #{query.id} is answered." in nurse.get("/").get_data(as_text=True)
    with Session(get_engine(app)) as db:
        assert db.get(DataQuery, query.id).status == "answered"


def test_the_open_queries_page_tells_a_monitor_of_answered_ones_waiting(client, clinic, app):
    """Found trying the screens as a new user would: the page opens on Open, and the
    answered queries, the monitor's own work, were out of sight."""
    _bmi_query(app, clinic, clinic.patient, answer="Yes, weighed again")
    login(client, clinic.users["monitor"])
    page = client.get("/queries").get_data(as_text=True)
    assert "1 answered query is waiting for you to close it" in page
    assert 'href="/queries?status=answered"' in page
    assert "answered-waiting" not in client.get("/queries?status=answered").get_data(
        as_text=True)
    client.post("/logout")
    login(client, clinic.users["nurse"])
    assert "answered-waiting" not in client.get("/queries").get_data(as_text=True)


def test_a_query_raised_by_hand_names_who_raised_it(client, clinic, app):
    query = _bmi_query(app, clinic, clinic.patient)
    login(client, clinic.users["nurse"])
    page = client.get(f"/queries/{query.id}").get_data(as_text=True)
    assert f"{clinic.users['monitor'].name} (raised by hand)" in page
    listed = client.get("/queries").get_data(as_text=True)  # the list names them too
    assert f'<td data-label="From">{clinic.users["monitor"].name}</td>' in listed


def test_an_odi_query_shows_its_value_with_the_percent_raised_and_now(app, client, clinic):
    """Found trying the screens as a new user would: a rule's query on an ODI read
    "When raised 40 %" and "Now 40"."""
    with Session(get_engine(app), expire_on_commit=False) as db:
        due = db.get(Assessment, clinic.due.id)
        set_actor(db, clinic.users["nurse"].id, None)
        record_follow_up(db, assessment=due, entries={"odi": [2] * 10}, mode="phone",
                         actor_id=clinic.users["nurse"].id)
        db.commit()
        score_id = db.exec(select(Score.id).where(Score.assessment_id == due.id,
                                                  Score.instrument == "odi")).one()
    login(client, clinic.users["monitor"])
    raised = client.post("/queries/new", data={"target": f"score:{score_id}:value",
                                               "text": "Source says 30 %?"})
    assert raised.status_code == 302
    with Session(get_engine(app)) as db:
        number = max(db.exec(select(DataQuery.id).where(DataQuery.target_id == score_id,
                                                        DataQuery.target_table == "score")))
    page = client.get(f"/queries/{number}").get_data(as_text=True)
    assert "<dd>40 %</dd>" in page and 'id="value-now">40 %<' in page


def test_a_baseline_correction_answers_the_open_query_on_the_value_it_changes(app, clinic):
    """As a visit's correction does: wherever the value is corrected, not only from the
    query's own page."""
    from clinic.queries.service import raise_query

    with Session(get_engine(app)) as db:
        query = raise_query(db, table="patient", row_id=clinic.patient.id, field="bmi",
                            text="BMI from the referral letter?",
                            actor_id=clinic.users["monitor"].id)
        db.commit()
        number = query.id
    nurse = app.test_client()
    login(nurse, clinic.users["nurse"])
    url = f"/patients/{clinic.patient.id}/edit"
    form = dict(re.findall(r'name="([a-z_A-Z0-9]+)" value="([^"]*)"',
                           nurse.get(url).get_data(as_text=True)))
    form |= {"sex": clinic.patient.sex, "bmi": "31.5", "reason": "Referral letter: 31.5"}
    form.pop("csrf_token", None)
    saved = nurse.post(url, data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    assert f"Query #{number} is answered" in nurse.get("/").get_data(as_text=True)
    with Session(get_engine(app)) as db:
        assert db.get(DataQuery, number).status == "answered"


def test_a_rule_query_whose_reason_changed_shows_the_question_now(app, clinic):
    """Found trying the screens as a new user would: an OME query kept naming the opioid
    list it was raised on after the list was corrected (still apart from the OME)."""
    from clinic.followup.editing import edit_follow_up
    from clinic.followup.entry import FollowUpEntry, save_follow_up
    from clinic.followup.medications import MedicationInput

    nurse_id = clinic.users["nurse"].id
    with Session(get_engine(app), expire_on_commit=False) as db:
        due = db.get(Assessment, clinic.due.id)
        save_follow_up(db, assessment=due, patient=clinic.patient, actor_id=nurse_id,
                       entry=FollowUpEntry(entries={"vas": 3, "ome": 30}, mode="phone",
                                           read_version=due.version, visit_on=due.target_date,
                                           medications=(MedicationInput("opioid", "oxycodone",
                                                                        40),)))
        db.commit()
        query = db.exec(select(DataQuery).where(DataQuery.rule == "ome_mismatch")).one()
        monitor = app.test_client()
        login(monitor, clinic.users["monitor"])
        before = monitor.get(f"/queries/{query.id}").get_data(as_text=True)
        edit_follow_up(db, assessment=due, read_version=due.version,
                       entries={"vas": 3, "ome": 30}, mode="phone", reason="oxycodone is 30",
                       actor_id=nurse_id,
                       medications=(MedicationInput("opioid", "oxycodone", 30),))
        db.commit()
    after = html.unescape(monitor.get(f"/queries/{query.id}").get_data(as_text=True))
    assert 'id="question-now"' not in before
    now = after[after.index('id="question-now"'):]
    assert "(oxycodone 30 mg/day) give 45 mg/day" in now[:400]
    assert "(oxycodone 40 mg/day) give 60 mg/day" in after  # the step as it was raised
    # found re-testing as a new user would: once the list agreed (the query answered by
    # the correction), the page still showed the last disagreement as the question now
    with Session(get_engine(app), expire_on_commit=False) as db:
        due = db.get(Assessment, clinic.due.id)
        edit_follow_up(db, assessment=due, read_version=due.version,
                       entries={"vas": 3, "ome": 30}, mode="phone", reason="oxycodone is 20",
                       actor_id=nurse_id,
                       medications=(MedicationInput("opioid", "oxycodone", 20),))
        db.commit()
        assert db.get(DataQuery, query.id).status == "answered"
    agreed = html.unescape(monitor.get(f"/queries/{query.id}").get_data(as_text=True))
    now = agreed[agreed.index('id="question-now"'):][:300]
    assert "does not find this any more" in now and "give 45" not in now
