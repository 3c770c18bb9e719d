"""A form for a change that a lock refuses, opened by its address while locked, is shown
read-only: a notice at its top says what is locked, by whom, since when and who unlocks
it, its fields are disabled and it has no save. Found trying the screens as a new user
would: the procedure form ran its whole validation and its warnings, and only after
"confirm" said the record was locked. A form opened before the lock and sent afterwards
is still refused by the guard (423), and nothing changes."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, func, select

from clinic.db import get_engine
from clinic.models import AuditEvent, Procedure
from tests.web.helpers import RECENT, login, odi_form, record_due
from tests.web.read_only import page_form, set_lock

LEVEL_WORDS = {"study": "The study's database is locked",
               "patient": "This patient's record is locked",
               "visit": "This visit is locked"}
ASK = "ask a study coordinator or an administrator to unlock it"


def _procedure_id(app, patient_id: int) -> int:
    with Session(get_engine(app)) as session:
        return session.exec(select(Procedure.id).where(Procedure.patient_id == patient_id)
                            ).one()  # type: ignore[return-value]


def _events(app) -> int:
    with Session(get_engine(app)) as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


def _procedures(app) -> int:
    with Session(get_engine(app)) as session:
        return session.exec(select(func.count()).select_from(Procedure)).one()


# Each form: (name, role, its address, what is typed into it before it is sent)
Form = tuple[str, str, Callable[[Any, int, int], str], dict[str, str]]
FORMS: list[Form] = [
    ("new procedure", "physician", lambda k, pr, ev: f"/patients/{k.patient.id}/procedures/new",
     {"performed_at": RECENT[:16], "modality": "fluoroscopy", "procedure_type": "tfesi",
      "punctures": "2", "target-0-level": "L4-L5", "target-0-side": "left",
      "dap_mgy_cm2": "300", "fluoroscopy_time_s": "40", "operative_time_min": "20",
      "confirm_warnings": "yes"}),
    ("procedure correction", "physician", lambda k, pr, ev: f"/procedures/{pr}/edit",
     {"punctures": "3", "reason": "two punctures more"}),
    ("procedure date", "physician", lambda k, pr, ev: f"/procedures/{pr}/reschedule",
     {"reason": "typed a day late"}),
    ("baseline correction", "physician", lambda k, pr, ev: f"/patients/{k.patient.id}/edit",
     {"bmi": "31.5", "reason": "weighed again"}),
    ("baseline correction", "nurse", lambda k, pr, ev: f"/patients/{k.patient.id}/edit",
     {"bmi": "31.5", "reason": "weighed again"}),
    ("follow-up entry", "nurse", lambda k, pr, ev: f"/followup/{k.due.id}",
     {"mode": "phone", "vas": "4", **odi_form([1] * 10)}),
    ("adverse event", "nurse", lambda k, pr, ev: f"/adverse-events/{ev}/edit",
     {"severity": "moderate", "reason": "phone follow-up"}),
]
CASES = [(level, *form) for level in ("patient", "study") for form in FORMS]


@pytest.mark.parametrize("level, name, role, address, typed", CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_a_form_the_lock_refuses_opens_read_only_with_the_notice(
        app, client, clinic, event, level, name, role, address, typed):
    path = address(clinic, _procedure_id(app, clinic.patient.id), event.id)
    login(client, clinic.users[role])
    before_lock = page_form(client.get(path).get_data(as_text=True), path)
    assert before_lock.editable, "open, the form takes a change"
    if name == "procedure date":
        day = datetime.fromisoformat(before_lock.values["performed_at"]) - timedelta(days=1)
        typed = {**typed, "performed_at": f"{day:%Y-%m-%dT%H:%M}"}
    set_lock(app, level, patient_id=clinic.patient.id,
             actor_id=clinic.users["coordinator"].id)

    opened = client.get(path)
    page = html.unescape(opened.get_data(as_text=True))
    assert opened.status_code == 200
    form = page_form(page, path)
    assert form.read_only, (form.fields, form.submits)
    notice = page.split('id="lock-notice"', 1)[1].split("</div>", 1)[0]
    assert LEVEL_WORDS[level].split(" is locked")[0] in notice and " is locked (since " in notice
    assert "by Test coordinator" in notice and ASK in notice
    assert page.index('id="lock-notice"') < page.index("<form method=\"post\" novalidate")

    events, procedures = _events(app), _procedures(app)
    sent = client.post(path, data={**before_lock.values, **typed})  # opened before the lock
    assert sent.status_code == 423, (sent.status_code, sent.get_data(as_text=True)[:400])
    assert "nothing was saved" in sent.get_data(as_text=True)
    assert (_events(app), _procedures(app)) == (events, procedures), "nothing changed"


@pytest.mark.parametrize("level", ["visit", "patient", "study"])
def test_the_correction_of_a_locked_visit_is_read_only(app, client, clinic, level):
    """The lock banner showed, but the VAS field and "Save correction" stayed enabled and
    the save ended in Error 423."""
    record_due(app, clinic)
    path = f"/followup/{clinic.due.id}/edit"
    login(client, clinic.users["nurse"])
    before_lock = page_form(client.get(path).get_data(as_text=True), path)
    assert before_lock.editable
    set_lock(app, level, patient_id=clinic.patient.id, visit_id=clinic.due.id,
             actor_id=clinic.users["physician"].id)
    page = html.unescape(client.get(path).get_data(as_text=True))
    form = page_form(page, path)
    assert form.read_only and ("vas", True) in form.fields
    assert "Save correction" not in page
    assert LEVEL_WORDS[level].split(" is locked")[0] in page and "by Test physician" in page
    events = _events(app)
    sent = client.post(path, data={**before_lock.values, "vas": "6", "reason": "misread"})
    assert sent.status_code == 423 and _events(app) == events
    if level == "visit":  # the visit's lock holds that visit only
        baseline = f"/patients/{clinic.patient.id}/edit"
        assert page_form(client.get(baseline).get_data(as_text=True), baseline).editable


def test_a_locked_pending_visit_offers_neither_save_nor_not_done(app, client, clinic):
    login(client, clinic.users["nurse"])
    path = f"/followup/{clinic.due.id}"
    assert "Mark not done" in client.get(path).get_data(as_text=True)
    set_lock(app, "patient", patient_id=clinic.patient.id, actor_id=None)
    page = client.get(path).get_data(as_text=True)
    assert "Mark not done" not in page and "Save follow-up" not in page
    assert "by the system" in page and page_form(page, path).read_only


def test_the_coordinator_is_pointed_to_the_unlock_and_the_form_opens_again_after_it(
        app, client, clinic, db):
    lock_id = set_lock(app, "patient", patient_id=clinic.patient.id,
                       actor_id=clinic.users["physician"].id)
    path = f"/patients/{clinic.patient.id}/edit"
    login(client, clinic.users["coordinator"])
    page = client.get(path).get_data(as_text=True)
    assert page_form(page, path).read_only
    assert f'href="/patients/{clinic.patient.id}#locks"' in page and ASK not in page
    patient_page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert 'id="locks"' in patient_page
    assert f'action="/locks/{lock_id}/unlock"' in patient_page
    client.post(f"/locks/{lock_id}/unlock", data={"reason": "locked_in_error"})
    again = client.get(path).get_data(as_text=True)
    assert 'id="lock-notice"' not in again and page_form(again, path).editable


def test_a_form_opened_before_a_lock_and_refused_after_it_turns_read_only(app, client,
                                                                          clinic):
    """A form with a problem sent after the lock was set is shown again read-only, with
    the notice, rather than asking for the problem to be corrected first."""
    path = f"/patients/{clinic.patient.id}/procedures/new"
    login(client, clinic.users["physician"])
    set_lock(app, "patient", patient_id=clinic.patient.id, actor_id=None)
    sent = client.post(path, data={"performed_at": RECENT[:16], "modality": "fluoroscopy",
                                   "procedure_type": "tfesi", "punctures": "2",
                                   "dap_mgy_cm2": "300"})  # no target level
    page = sent.get_data(as_text=True)
    assert 'id="lock-notice"' in page and page_form(page, path).read_only
