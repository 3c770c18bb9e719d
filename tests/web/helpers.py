"""A small clinic for the screen and API tests: a study, staff at two sites, and patients
whose 1-month follow-up is due today (clinic time)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select
from werkzeug.datastructures import MultiDict

from clinic.models import Assessment, Patient, Site, Study, StudyMonitor, StudyTimepoint, User
from clinic.web.filters import clinic_today
from tests.factories import PASSWORD, make_patient, make_procedure, make_site, make_study, make_user

# A procedure date for tests that record one more: after the clinic's patients were
# enrolled (35 days ago) and not in the future.
RECENT = f"{date.today() - timedelta(days=2)}T10:00:00+01:00"


@dataclass
class Clinic:
    study: Study
    north: Site
    south: Site
    users: dict[str, User]  # nurse (north), nurse_south, physician, coordinator, admin
    patient: Patient  # north, fluoroscopy, 1-month follow-up due today
    other: Patient  # south, CT
    due: Assessment  # the patient's 1-month follow-up


def today_in(app: Flask) -> date:
    with app.test_request_context():
        return clinic_today()


def build_clinic(app: Flask, session: Session) -> Clinic:
    today = today_in(app)
    zone = ZoneInfo(app.config["TIMEZONE"])
    study = make_study(session)
    north, south = make_site(session, "NORTH"), make_site(session, "SOUTH")
    users = {role: make_user(session, role) for role in ("physician", "coordinator", "admin")}
    users["nurse"] = make_user(session, "nurse", north)
    users["nurse_south"] = make_user(session, "nurse", south)
    users["monitor"] = make_user(session, "monitor")
    session.add(StudyMonitor(user_id=users["monitor"].id, study_id=study.id))  # monitors it
    when = datetime.combine(today - timedelta(days=30), time(9, 30), tzinfo=zone)
    patient, _ = make_patient(session, study, site=north, enrolled_on=today - timedelta(days=35))
    make_procedure(session, patient, when=when)
    other, _ = make_patient(session, study, site=south, enrolled_on=today - timedelta(days=35))
    make_procedure(session, other, modality="ct", when=when)
    session.commit()
    due = session.exec(select(Assessment).join(StudyTimepoint).where(
        Assessment.patient_id == patient.id, StudyTimepoint.code == "month_1")).one()
    return Clinic(study, north, south, users, patient, other, due)


def login(client: FlaskClient, user: User) -> FlaskClient:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.data[:500]
    return client


def record_due(app: Flask, clinic: Clinic) -> int:
    """The clinic's due visit recorded by its nurse (VAS 3); its version after the save."""
    from clinic.audit import set_actor
    from clinic.db import get_engine
    from clinic.followup.service import record_follow_up

    with Session(get_engine(app), expire_on_commit=False) as session:
        due = session.get(Assessment, clinic.due.id)
        set_actor(session, clinic.users["nurse"].id, None)
        record_follow_up(session, assessment=due, entries={"vas": 3}, mode="phone",  # type: ignore[arg-type]
                         actor_id=clinic.users["nurse"].id)
        session.commit()
        return due.version  # type: ignore[union-attr]


def odi_form(values: list[int | str], prefix: str = "odi") -> dict[str, str]:
    from clinic.scoring.disability import ODI_SECTIONS

    return {f"{prefix}.{s.code}": str(v) for s, v in zip(ODI_SECTIONS, values, strict=True)}


def post_builder(client, url: str, data: dict[str, str]):
    """Post the study builder's form as a browser does: with the version of the study
    the page was opened on (its hidden ``based_on``)."""
    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="based_on" value="([0-9a-f]*)"', page)
    assert found, "the builder page carries the version it shows"
    return client.post(url, data={**data, "based_on": found.group(1)})


class _Submitted(HTMLParser):
    """The fields a browser sends for each form of a page: text and hidden inputs, ticked
    boxes and chosen radios, each select's chosen (else first) option, text areas."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[MultiDict[str, str]] = []
        self.select: list[Any] | None = None  # name, first value, chosen value
        self.textarea: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(MultiDict())
        elif not self.forms or "disabled" in a or not (a.get("name") or tag == "option"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.forms[-1].add(a["name"], a.get("value", "on"))
            elif kind not in ("submit", "button", "reset", "file", "image"):
                self.forms[-1].add(a["name"], a.get("value", ""))
        elif tag == "select":
            self.select = [a["name"], None, None]
        elif tag == "option" and self.select is not None:
            value = a.get("value", "")
            if self.select[1] is None:
                self.select[1] = value
            if "selected" in a:
                self.select[2] = value
        elif tag == "textarea":
            self.textarea = [a["name"], ""]

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self.select is not None:
            name, first, chosen = self.select
            if chosen is not None or first is not None:
                self.forms[-1].add(name, chosen if chosen is not None else first)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.forms[-1].add(self.textarea[0], self.textarea[1].removeprefix("\n"))
            self.textarea = None


def submitted_form(page: str, holding: str) -> MultiDict[str, str]:
    """What a browser would send for the page's form that holds the field ``holding``."""
    parser = _Submitted()
    parser.feed(page)
    return next(f for f in parser.forms if holding in f)
