"""A monitor sees the studies they monitor, in the screens and the API, and no others."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from clinic.auth.tokens import create_token
from clinic.db import get_engine
from clinic.models import Assessment, SecurityEvent, StudyMonitor, User
from tests.factories import make_user
from tests.web.helpers import login


@pytest.fixture
def monitor(app, session, two_studies) -> User:
    user = make_user(session, "monitor")
    session.add(StudyMonitor(user_id=user.id, study_id=two_studies.mine.id))
    session.commit()
    return user


@pytest.fixture
def as_monitor(client, monitor):
    return login(client, monitor)


def _text(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_lists_show_the_monitored_study_only(as_monitor, two_studies):
    client = as_monitor
    home = _text(client.get("/"))
    assert "DEMO" in home and "OTHER" not in home
    patients = _text(client.get("/patients"))
    assert "MINE-01" in patients and "OTHER-01" not in patients
    search = _text(client.get("/search?q=01"))
    assert "MINE-01" in search and "OTHER-01" not in search
    queries = _text(client.get("/queries?status=open"))
    assert f"/queries/{two_studies.query.id}" in queries
    assert f"/queries/{two_studies.foreign_query.id}" not in queries
    grid = _text(client.get("/grid"))
    assert "MINE-01" in grid and "OTHER-01" not in grid


@pytest.mark.parametrize("url", [
    "/patients/{stranger}", "/patients/{stranger}/record.pdf", "/queries/{foreign_query}",
    "/grid?study={other}", "/studies/OTHER/screening", "/studies/OTHER/screening.csv",
    "/studies/OTHER/audit", "/studies/OTHER/audit.csv", "/studies/OTHER/self-report"])
def test_another_studys_pages_are_not_found(as_monitor, two_studies, url):
    t = two_studies
    url = url.format(stranger=t.stranger.id, foreign_query=t.foreign_query.id, other=t.other.id)
    assert as_monitor.get(url).status_code == 404


@pytest.mark.parametrize("url", [
    "/patients/{patient}", "/queries/{query}", "/grid?study={mine}",
    "/studies/DEMO/screening", "/studies/DEMO/audit"])
def test_the_monitored_studys_pages_open(as_monitor, two_studies, url):
    t = two_studies
    url = url.format(patient=t.patient.id, query=t.query.id, mine=t.mine.id)
    assert as_monitor.get(url).status_code == 200


def test_a_monitor_cannot_close_another_studys_query(as_monitor, two_studies):
    response = as_monitor.post(f"/queries/{two_studies.foreign_query.id}/close",
                               data={"text": "fine"})
    assert response.status_code == 404


def test_the_api_shows_the_monitored_study_only(app, monitor, client, two_studies):
    t = two_studies
    with Session(get_engine(app)) as session:
        _row, plain = create_token(session, user=session.get(User, monitor.id), name="t",
                                   days=1)
        session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    studies = client.get("/api/v1/studies", headers=headers).get_json()
    assert [s["code"] for s in studies] == ["DEMO"]
    patients = client.get("/api/v1/patients", headers=headers).get_json()
    assert [p["study_code"] for p in patients] == ["MINE-01"]
    queries = client.get("/api/v1/queries?status=open", headers=headers).get_json()
    assert [q["id"] for q in queries] == [t.query.id]
    for url in (f"/api/v1/patients/{t.stranger.id}", f"/api/v1/queries/{t.foreign_query.id}",
                f"/api/v1/patients/{t.stranger.id}/assessments",
                f"/api/v1/patients/{t.stranger.id}/procedures",
                f"/api/v1/patients/{t.stranger.id}/adverse-events",
                f"/api/v1/fhir/Patient/{t.stranger.id}/$everything",
                "/api/v1/studies/OTHER/protocol"):
        assert client.get(url, headers=headers).status_code == 404, url
    assert client.get(f"/api/v1/patients/{t.patient.id}", headers=headers).status_code == 200


def test_a_monitor_without_studies_sees_none(app, session, client, two_studies):
    bare = make_user(session, "monitor")
    session.commit()
    login(client, bare)
    home = _text(client.get("/"))
    assert "DEMO" not in home and "OTHER" not in home
    assert client.get(f"/patients/{two_studies.patient.id}").status_code == 404
    assert "MINE-01" not in _text(client.get("/patients"))


def test_other_roles_are_not_limited(app, session, client, two_studies):
    coordinator = make_user(session, "coordinator")
    session.commit()
    login(client, coordinator)
    patients = _text(client.get("/patients"))
    assert "MINE-01" in patients and "OTHER-01" in patients


def test_an_administrator_gives_a_monitor_studies(app, session, client, monitor, two_studies):
    admin = make_user(session, "admin")
    session.commit()
    login(client, admin)
    page = _text(client.get(f"/admin/users/{monitor.id}"))
    assert 'name="studies.DEMO" value="yes" checked' in page
    assert 'name="studies.OTHER" value="yes">' in page
    form = {"name": monitor.name, "role": "monitor", "site": "", "studies_shown": "1",
            "studies.DEMO": "yes", "studies.OTHER": "yes"}
    assert client.post(f"/admin/users/{monitor.id}", data=form).status_code == 302
    with Session(get_engine(app)) as db:
        given = db.exec(select(StudyMonitor.study_id).where(
            StudyMonitor.user_id == monitor.id)).all()
        assert sorted(given) == sorted([two_studies.mine.id, two_studies.other.id])
        event = db.exec(select(SecurityEvent).where(SecurityEvent.kind == "user_changed",
                                                    SecurityEvent.user_id == monitor.id)).one()
        assert event.detail == "studies monitored: DEMO, OTHER"
    bad = {**form, "studies.NOPE": "yes"}
    response = client.post(f"/admin/users/{monitor.id}", data=bad)
    assert response.status_code == 422
    assert "No study with code NOPE" in response.get_data(as_text=True)
    none = {k: v for k, v in form.items() if not k.startswith("studies.")}
    assert client.post(f"/admin/users/{monitor.id}", data=none).status_code == 302
    with Session(get_engine(app)) as db:
        assert db.exec(select(StudyMonitor).where(StudyMonitor.user_id == monitor.id)).all() \
            == []


def test_a_monitor_made_something_else_keeps_no_studies(app, session, client, monitor):
    admin = make_user(session, "admin")
    session.commit()
    login(client, admin)
    form = {"name": monitor.name, "role": "physician", "site": ""}
    assert client.post(f"/admin/users/{monitor.id}", data=form).status_code == 302
    with Session(get_engine(app)) as db:
        assert db.exec(select(StudyMonitor).where(StudyMonitor.user_id == monitor.id)).all() \
            == []



def test_a_query_target_of_another_study_answers_as_a_missing_one(as_monitor, app,
                                                                  two_studies):
    """Raising a query names its target: another study's row (here a questionnaire
    section) gets the answer of a row that does not exist, on the screen and in the API."""
    from clinic.models import Score, ScoreSection

    with Session(get_engine(app)) as db:
        visit = db.exec(select(Assessment.id).where(
            Assessment.patient_id == two_studies.stranger.id)).first()
        score = Score(assessment_id=visit, instrument="odi", value=10.0, mode="in_clinic")
        db.add(score)
        db.flush()
        db.add(ScoreSection(score_id=score.id, section=1, value=1))
        db.commit()
        section = db.exec(select(ScoreSection.id)).one()
    missing = section + 1000

    def answer(row_id: int) -> tuple[int, str]:
        page = as_monitor.get(f"/queries/new?target=score_section:{row_id}:value")
        return page.status_code, page.get_data(as_text=True).replace(
            f"score_section {row_id}", "score_section N")

    assert answer(section) == answer(missing)
    assert "There is no score_section N" in answer(section)[1]


def test_giving_a_study_shows_in_that_studys_audit_trail(app, session, client, monitor,
                                                          two_studies):
    admin = make_user(session, "admin")
    session.commit()
    login(client, admin)
    form = {"name": monitor.name, "role": "monitor", "site": "", "studies_shown": "1",
            "studies.OTHER": "yes"}
    assert client.post(f"/admin/users/{monitor.id}", data=form).status_code == 302
    other = _text(client.get("/studies/OTHER/audit?entity=study_monitor"))
    assert "monitor&#39;s study" in other and "created" in other
    mine = _text(client.get("/studies/DEMO/audit?entity=study_monitor"))
    assert "deleted" in mine
