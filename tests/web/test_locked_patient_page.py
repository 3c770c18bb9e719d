"""While a patient's record is locked (by itself or with the study's database), the patient
page offers none of the changes the lock refuses: found trying the screens as a new user
would, the physician's page still showed "Record a procedure", "Correct baseline data",
"Correct the date" and "Correct the record", each ending in Error 423. Unlocking brings
them back; what the lock does not hold (contact data, signing, locking) stays offered."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from clinic.db import get_engine
from clinic.models import Procedure
from tests.web.helpers import login
from tests.web.read_only import set_lock


def _refused_changes(app, clinic, event, role: str) -> list[str]:
    """The addresses on the patient page of the changes a lock of the record refuses, for
    ``role``."""
    with Session(get_engine(app)) as session:
        procedure = session.exec(select(Procedure.id).where(
            Procedure.patient_id == clinic.patient.id)).one()
    patient = clinic.patient.id
    shared = [f'href="/patients/{patient}/edit"', f'href="/adverse-events/{event.id}/edit"']
    if role == "nurse":
        return [*shared, f'href="/followup/{clinic.due.id}"']
    return [*shared, f'href="/patients/{patient}/procedures/new"',
            f'href="/procedures/{procedure}/edit"', f'href="/procedures/{procedure}/reschedule"',
            f'action="/procedures/{procedure}/dose-report"']


@pytest.mark.parametrize("level", ["patient", "study"])
@pytest.mark.parametrize("role", ["physician", "nurse"])
def test_a_locked_record_s_page_offers_no_change_the_lock_refuses(app, client, clinic, event,
                                                                   role, level):
    refused = _refused_changes(app, clinic, event, role)
    url = f"/patients/{clinic.patient.id}"
    login(client, clinic.users[role])
    open_page = client.get(url).get_data(as_text=True)
    assert all(link in open_page for link in refused), "offered while open"
    lock_id = set_lock(app, level, patient_id=clinic.patient.id,
                       actor_id=clinic.users["coordinator"].id)

    page = client.get(url).get_data(as_text=True)
    assert [link for link in refused if link in page] == []
    assert "<strong>locked</strong>" in page
    if role == "nurse":  # contact data is not study data: the lock does not hold it
        assert f'href="/patients/{clinic.patient.id}/contact"' in page
    else:
        assert "Sign this patient's recorded data" in page

    client.get("/logout")
    login(client, clinic.users["coordinator"])
    client.post(f"/locks/{lock_id}/unlock", data={"reason": "locked_in_error"})
    client.get("/logout")
    login(client, clinic.users[role])
    unlocked = client.get(url).get_data(as_text=True)
    assert all(link in unlocked for link in refused), "offered again once unlocked"


def test_every_visit_of_a_locked_record_says_locked(app, client, clinic):
    """The pending visits too: none can be entered, reopened or marked not done (the
    page left their action empty, with no word why)."""
    login(client, clinic.users["nurse"])
    set_lock(app, "patient", patient_id=clinic.patient.id, actor_id=None)
    page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    schedule = page.split('<table class="grid schedule cards">', 1)[1].split("</table>", 1)[0]
    rows = schedule.split("<tbody>", 1)[1].split("<tr>")[1:]
    assert len(rows) > 1 and all("<strong>locked</strong>" in row for row in rows)
