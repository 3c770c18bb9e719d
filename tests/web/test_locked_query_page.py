"""A data query's page says the value is locked (what, by whom, since when, whom to ask)
in place of its "Correct the value" link while a lock holds the value: the correction
form would open read-only. Found trying the screens as a new user would. The query can
still be answered in words (the answer changes no clinical data)."""

from __future__ import annotations

import html

import pytest
from sqlmodel import Session, select

from clinic.db import get_engine
from clinic.models import DataQuery, Score
from clinic.queries.service import raise_query
from tests.web.helpers import login, record_due
from tests.web.read_only import set_lock

CORRECT = "Correct the value (with a reason)"
ASK = "To correct the value, ask a study coordinator or an administrator to unlock it"
WORDS = {"visit": "This visit is locked (since ",
         "patient": "This patient's record is locked (since ",
         "study": "The study's database is locked (since "}


def _query(app, clinic, table: str) -> int:
    """A monitor's open query on the due visit's VAS (recorded first) or on the BMI."""
    with Session(get_engine(app), expire_on_commit=False) as session:
        if table == "score":
            row_id = session.exec(select(Score.id).where(Score.assessment_id == clinic.due.id)
                                  ).one()
        else:
            row_id = clinic.patient.id
        query = raise_query(session, table=table, row_id=row_id,
                            field="value" if table == "score" else "bmi",
                            text="Source says otherwise?", actor_id=clinic.users["monitor"].id)
        session.commit()
        return query.id  # type: ignore[return-value]


def _answer_section(page: str) -> str:
    return html.unescape(page.split('id="answer"', 1)[1].split("</section>", 1)[0])


@pytest.mark.parametrize("level", ["visit", "patient", "study"])
def test_a_locked_visits_value_says_locked_instead_of_the_correction_link(app, client,
                                                                          clinic, level):
    record_due(app, clinic)
    query_id = _query(app, clinic, "score")
    login(client, clinic.users["nurse"])
    assert CORRECT in client.get(f"/queries/{query_id}").get_data(as_text=True)
    set_lock(app, level, patient_id=clinic.patient.id, visit_id=clinic.due.id,
             actor_id=clinic.users["physician"].id)

    answer = _answer_section(client.get(f"/queries/{query_id}").get_data(as_text=True))
    assert CORRECT not in answer and f"/followup/{clinic.due.id}/edit" not in answer
    assert WORDS[level] in answer and "by Test physician): the value cannot be corrected." \
        in answer and ASK in answer
    assert "Or explain why the value is right" not in answer  # no "or": nothing to correct
    answered = client.post(f"/queries/{query_id}/answer", data={"text": "Source says 7."})
    assert answered.status_code == 302, "the query is still answered in words"
    with Session(get_engine(app)) as session:
        assert session.get(DataQuery, query_id).status == "answered"  # type: ignore[union-attr]


def test_a_visit_lock_leaves_the_records_other_values_correctable(app, client, clinic):
    record_due(app, clinic)
    query_id = _query(app, clinic, "patient")
    set_lock(app, "visit", patient_id=clinic.patient.id, visit_id=clinic.due.id, actor_id=None)
    login(client, clinic.users["nurse"])
    answer = _answer_section(client.get(f"/queries/{query_id}").get_data(as_text=True))
    assert CORRECT in answer and "is locked" not in answer
    set_lock(app, "patient", patient_id=clinic.patient.id, actor_id=None)
    answer = _answer_section(client.get(f"/queries/{query_id}").get_data(as_text=True))
    assert CORRECT not in answer and WORDS["patient"] in answer and "by the system" in answer


def test_a_coordinator_is_pointed_to_the_unlock(app, client, clinic):
    query_id = _query(app, clinic, "patient")
    set_lock(app, "patient", patient_id=clinic.patient.id, actor_id=None)
    login(client, clinic.users["coordinator"])
    answer = _answer_section(client.get(f"/queries/{query_id}").get_data(as_text=True))
    assert CORRECT not in answer and ASK not in answer
    assert "You may unlock it, with a reason, and then correct the value here." in answer
    assert f'href="/patients/{clinic.patient.id}#locks">Unlock it on the patient page' in answer
