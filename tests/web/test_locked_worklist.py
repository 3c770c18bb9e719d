"""The nurse's worklist and its week view say a locked patient's due visit is locked (by
whom, since when, whom to ask) instead of linking it to an entry form that would open
read-only. Found trying the screens as a new user would: "Enter" was offered for a
locked record's visit. The lock state is read for the whole page at once: the page runs
as many statements for many locked patients as for one."""

from __future__ import annotations

import html
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from clinic.db import get_engine
from clinic.models import Study
from tests.factories import make_patient, make_procedure
from tests.scale.conftest import recorded
from tests.web.helpers import login, today_in
from tests.web.read_only import set_lock

ASK = "To enter the visit, ask a study coordinator or an administrator to unlock it"


def _row(page: str, code: str) -> str:
    """The worklist's row of the patient ``code``."""
    return page.split(f">{code}</a>", 1)[1].split("</tr>", 1)[0]


@pytest.mark.parametrize("level, words", [
    ("patient", "This patient's record is locked (since "),
    ("study", "The study's database is locked (since ")])
def test_a_locked_patients_due_visit_says_locked_instead_of_enter(app, client, clinic,
                                                                  level, words):
    login(client, clinic.users["nurse"])
    entry = f'href="/followup/{clinic.due.id}"'
    assert entry in client.get("/worklist").get_data(as_text=True), "open: Enter"
    set_lock(app, level, patient_id=clinic.patient.id, actor_id=clinic.users["physician"].id)

    page = html.unescape(client.get("/worklist").get_data(as_text=True))
    row = _row(page, clinic.patient.study_code)
    assert entry not in page and ">Enter</a>" not in row
    assert "<strong>locked</strong>" in row
    assert words in row and "by Test physician): the visit cannot be entered." in row
    assert ASK in row and "#locks" not in row, "a nurse is told whom to ask"


def test_only_the_locked_patients_visits_lose_their_entry_link(app, client, clinic):
    login(client, clinic.users["coordinator"])  # both sites
    set_lock(app, "patient", patient_id=clinic.patient.id, actor_id=None)
    page = html.unescape(client.get("/worklist").get_data(as_text=True))
    locked, other = _row(page, clinic.patient.study_code), _row(page, clinic.other.study_code)
    assert "by the system" in locked and ">Enter</a>" not in locked
    assert ">Enter</a>" in other and "locked" not in other
    # a coordinator unlocks: pointed to the patient page's Locks, not told to ask
    assert f'href="/patients/{clinic.patient.id}#locks"' in locked
    assert "You may unlock it, with a reason, and then enter the visit here." in locked
    assert ASK not in locked


def test_the_week_view_links_a_locked_visit_to_the_patient_not_the_form(app, client, clinic):
    login(client, clinic.users["nurse"])
    start = clinic.due.target_date.isoformat()
    week = f"/worklist/week?start={start}"
    assert f'href="/followup/{clinic.due.id}"' in client.get(week).get_data(as_text=True)
    set_lock(app, "study", patient_id=clinic.patient.id, actor_id=None)
    page = html.unescape(client.get(week).get_data(as_text=True))
    assert f'href="/followup/{clinic.due.id}"' not in page
    item = page.split(f'href="/patients/{clinic.patient.id}">', 1)[1].split("</li>", 1)[0]
    assert "<strong>locked</strong>" in item and ASK in item


def _more_due_patients(app, clinic, count: int) -> list[int]:
    """``count`` more patients at the nurse's site, their 1-month visit due today."""
    today = today_in(app)
    when = datetime.combine(today - timedelta(days=30), time(9, 30),
                            tzinfo=ZoneInfo(app.config["TIMEZONE"]))
    with Session(get_engine(app), expire_on_commit=False) as session:
        study = session.get(Study, clinic.study.id)
        added = []
        for _ in range(count):
            patient, _enrollment = make_patient(session, study, site=clinic.north,  # type: ignore[arg-type]
                                                enrolled_on=today - timedelta(days=35))
            make_procedure(session, patient, when=when)
            added.append(patient.id)
        session.commit()
        return added  # type: ignore[return-value]


def _statements(app, client, url: str) -> int:
    client.get(url)  # once-a-day writes out of the count
    with recorded(app) as rec:
        response = client.get(url)
    assert response.status_code == 200
    return len(rec.statements)


@pytest.mark.parametrize("url", ["/worklist", "/worklist?sort=target", "/worklist/week"])
def test_locks_are_read_for_the_whole_page_not_per_row(app, client, clinic, url):
    login(client, clinic.users["nurse"])
    set_lock(app, "patient", patient_id=clinic.patient.id, actor_id=None)
    one_locked = _statements(app, client, url)
    for patient_id in _more_due_patients(app, clinic, 5):
        set_lock(app, "patient", patient_id=patient_id, actor_id=clinic.users["physician"].id)
    page = client.get(url).get_data(as_text=True)
    assert page.count("<strong>locked</strong>") >= 6 and 'href="/followup/' not in page
    assert _statements(app, client, url) == one_locked
