"""While a study's database is locked, the screening and enrolment form and the study
builder say so at their top (since when, by whom, whom to ask) and are shown read-only,
without their save: found trying the screens as a new user would, the whole form was
filled in and only its save was refused. A form sent anyway is still refused (423), and
nothing is stored."""

from __future__ import annotations

import html

from sqlmodel import Session, func, select

from clinic.db import get_engine
from clinic.models import AuditEvent, Patient, Screening, Study
from tests.web.helpers import login, submitted_form
from tests.web.read_only import page_form, set_lock
from tests.web.test_enroll import _form

LOCKED = "The study's database is locked (since "
ASK = "ask a study coordinator or an administrator to unlock it"


def _lock_study(app, clinic) -> None:
    set_lock(app, "study", patient_id=clinic.patient.id, actor_id=clinic.users["coordinator"].id)


def _counts(app) -> tuple[int, int, int]:
    with Session(get_engine(app)) as session:
        return tuple(session.exec(select(func.count()).select_from(model)).one()  # type: ignore[return-value]
                     for model in (AuditEvent, Patient, Screening))


def _notice(page: str) -> str:
    return page.split('id="lock-notice"', 1)[1].split("</div>", 1)[0]


def test_the_enrolment_form_says_the_study_is_locked_before_it_is_filled_in(app, client,
                                                                            clinic):
    path = f"/studies/{clinic.study.code}/enroll"
    login(client, clinic.users["nurse"])
    assert page_form(client.get(path).get_data(as_text=True), path).editable
    _lock_study(app, clinic)

    opened = client.get(path)
    page = html.unescape(opened.get_data(as_text=True))
    assert opened.status_code == 200 and page_form(page, path).read_only
    notice = _notice(page)
    assert LOCKED in notice and "by Test coordinator): no patient can be screened or " \
        "enrolled." in notice and f"To screen or enrol a patient, {ASK}" in notice
    assert page.index('id="lock-notice"') < page.index('id="enroll-form"'), "at the top"
    assert "Screen and enroll</button>" not in page

    before = _counts(app)
    for typed in (_form(), _form(**{"criterion.vas_5_plus": "no",  # a screen failure too
                                    "site_id": str(clinic.north.id)})):
        sent = client.post(path, data=typed)  # a form opened before the lock
        assert sent.status_code == 423, sent.get_data(as_text=True)[:300]
    assert _counts(app) == before, "nothing stored"


def test_a_coordinator_is_pointed_to_the_unlock_on_the_studys_set_up(app, client, clinic):
    _lock_study(app, clinic)
    login(client, clinic.users["coordinator"])
    page = client.get(f"/studies/{clinic.study.code}/enroll").get_data(as_text=True)
    notice = html.unescape(_notice(page))
    assert ASK not in notice
    assert "You may unlock it, with a reason, and then screen or enrol a patient here." \
        in notice
    assert (f'href="/admin/studies/{clinic.study.id}">Unlock it on the study\'s set-up page'
            in notice)


def test_the_study_builder_says_the_study_is_locked_and_offers_no_save(app, client, clinic,
                                                                       db):
    path = f"/admin/studies/{clinic.study.id}/builder"
    login(client, clinic.users["coordinator"])
    opened = client.get(path).get_data(as_text=True)
    assert page_form(opened, path).editable
    typed = submitted_form(opened, "based_on")  # a form opened before the lock
    typed.setlist("title", ["Another title"])
    typed.setlist("reason", ["a retitled study"])
    _lock_study(app, clinic)

    page = html.unescape(client.get(path).get_data(as_text=True))
    assert page_form(page, path).read_only
    notice = _notice(page)
    assert LOCKED in notice and "by Test coordinator): the study's set-up cannot be " \
        "changed." in notice
    assert "You may unlock it, with a reason, and then change the set-up here." in notice
    assert page.index('id="lock-notice"') < page.index('id="study-builder"'), "at the top"
    for offered in ("Record the amendment</button>", "Close enrollment</button>"):
        assert offered not in page
    assert "Download the protocol file" in page, "what only reads stays"

    before = _counts(app)
    sent = client.post(path, data=typed)
    assert sent.status_code == 423 and "nothing was saved" in sent.get_data(as_text=True)
    closed = client.post(f"/admin/studies/{clinic.study.id}/close",
                         data={"reason": "enough patients"})
    assert closed.status_code == 423
    assert _counts(app) == before, "nothing stored"
    db.expire_all()
    assert db.get(Study, clinic.study.id).status == "recruiting"
