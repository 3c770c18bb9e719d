"""create-user: monitors are given their studies on the command line, or told how."""

from __future__ import annotations

from sqlmodel import Session, select

from clinic.db import get_engine
from clinic.models import SecurityEvent, StudyMonitor, User
from tests.factories import make_study

PASSWORD = "a-long-unusual-passphrase-7"


def _create(app, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=[
        "create-user", "--name", "Mo Nitor", "--password", PASSWORD, *args])


def _studies_of(app, email: str) -> list[int]:  # type: ignore[no-untyped-def]
    with Session(get_engine(app)) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        return list(session.exec(select(StudyMonitor.study_id)
                                 .where(StudyMonitor.user_id == user.id)).all())


def test_a_monitor_is_given_studies_with_study(app, session):
    study = make_study(session)
    session.commit()
    result = _create(app, "--email", "mo@x.invalid", "--role", "monitor", "--study", "DEMO")
    assert result.exit_code == 0, result.output
    assert "Created monitor mo@x.invalid, monitoring DEMO" in result.output
    assert _studies_of(app, "mo@x.invalid") == [study.id]
    with Session(get_engine(app)) as db:
        assert db.exec(select(SecurityEvent.detail).where(
            SecurityEvent.kind == "user_changed")).one() == "studies monitored: DEMO"


def test_a_monitor_without_study_is_told_how(app, session):
    result = _create(app, "--email", "mo@x.invalid", "--role", "monitor")
    assert result.exit_code == 0, result.output
    assert "sees no study until given one" in result.output
    assert _studies_of(app, "mo@x.invalid") == []


def test_an_unknown_study_or_a_study_for_another_role_is_refused_and_nothing_kept(app,
                                                                                   session):
    make_study(session)
    session.commit()
    unknown = _create(app, "--email", "mo@x.invalid", "--role", "monitor", "--study", "NOPE")
    assert unknown.exit_code == 2 and "No study with code NOPE" in unknown.output
    physician = _create(app, "--email", "pa@x.invalid", "--role", "physician",
                        "--study", "DEMO")
    assert physician.exit_code == 2 and "Only a monitor is given studies" in physician.output
    with Session(get_engine(app)) as db:  # the user was not created either
        assert db.exec(select(User).where(User.email.in_(["mo@x.invalid",
                                                           "pa@x.invalid"]))).all() == []
