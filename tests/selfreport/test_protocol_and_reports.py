"""Self-report in the protocol file, the report's methods, the data set and the API."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from clinic.protocol.protocol_file import (
    ProtocolFileError,
    from_definition,
    read_toml,
    to_definition,
    write_toml,
)
from clinic.reports.methods import collection_sentence
from clinic.selfreport.ladder import LadderSpec

PROTOCOL = (Path(__file__).parents[2] / "docs" / "protocols" / "ct-vs-fluoroscopy.toml"
            ).read_text(encoding="utf-8")


def test_the_demo_protocol_carries_its_ladder_and_round_trips():
    definition = to_definition(read_toml(PROTOCOL))
    assert definition.self_report == LadderSpec((0, 3, 7), 10, "none")
    again = to_definition(read_toml(write_toml(from_definition(definition))))
    assert again == definition


@pytest.mark.parametrize(("old", "new", "path"), [
    ("reminder_days = [0, 3, 7]", "reminder_days = [0, 7, 3]", "self_report.reminder_days[2]"),
    ("reminder_days = [0, 3, 7]", "reminder_days = [-1]", "self_report.reminder_days[0]"),
    ('second_factor = "none"', 'second_factor = "pin"', "self_report.second_factor"),
    ("call_after_days = 10", "call_after_days = 10.5", "self_report.call_after_days"),
])
def test_a_wrong_ladder_names_its_field(old, new, path):
    with pytest.raises(ProtocolFileError) as refused:
        read_toml(PROTOCOL.replace(old, new))
    assert path in {p.path for p in refused.value.problems}, refused.value.problems


def test_self_report_needs_a_measure_the_patient_can_answer():
    start = PROTOCOL.index("[[measures]]")
    end = PROTOCOL.index("[[criteria]]")
    only_ome = PROTOCOL[:start] + '[[measures]]\ninstrument = "ome"\n\n' + PROTOCOL[end:]
    with pytest.raises(ProtocolFileError) as refused:
        read_toml(only_ome)
    assert "self_report" in {p.path for p in refused.value.problems}


def test_the_methods_say_how_the_visits_were_collected():
    visits = pd.DataFrame({"state": ["completed"] * 6 + ["pending", "not_done"],
                           "mode": ["self_report"] * 3 + ["phone"] * 2 + ["in_clinic",
                                                                          None, None]})
    assert collection_sentence(visits) == (
        "Of 6 completed visits, the scores were collected by the patients themselves through "
        "a link sent by e-mail (n = 3), by telephone (n = 2) and in clinic (n = 1).")
    assert collection_sentence(visits.iloc[6:]) is None


def test_the_api_gives_the_invitation_state_of_a_visit(mail_app, smtp, client, session,
                                                       clinic, month_1):
    from flask import g

    from clinic.auth.tokens import create_token
    from tests.selfreport.conftest import OPENS, at, links, run_on

    run_on(mail_app, OPENS)
    [token] = links(smtp, clinic.email)
    with at(OPENS, 9):
        client.get(f"/r/{token}")
        session.commit()  # end the read begun before the run (a fresh snapshot to write)
        _row, plain = create_token(session, user=clinic.nurse, name="test", days=30)
        session.commit()
        g.pop("_login_user", None)  # the session fixture's app context outlives requests
        found = client.get(f"/api/v1/assessments/{month_1.id}",
                           headers={"Authorization": f"Bearer {plain}"}).get_json()
    state = found["self_report"]
    assert state["invited"] is True and state["opened_at"] is not None
    assert [(m["step"], m["state"]) for m in state["messages"]] == [(0, "sent")]
    assert state["planned"] == ["2026-02-10", "2026-02-14"]
    assert state["call_from"] == "2026-02-17" and state["submitted_at"] is None
    assert token not in str(found)


def test_a_study_that_switches_self_report_off_keeps_showing_what_it_sent(
        mail_app, smtp, client, session, clinic, month_1):
    """Found attacking the builder: after an amendment switched self-report off, the API
    showed no self-report state for a visit whose invitation had been sent."""
    from flask import g

    from clinic.auth.tokens import create_token
    from clinic.models import Study
    from tests.selfreport.conftest import OPENS, at, run_on

    run_on(mail_app, OPENS)
    with at(OPENS, 9):
        session.expire_all()
        study = session.get(Study, clinic.study.id)
        study.self_report = None  # as the amendment leaves it
        session.add(study)
        _row, plain = create_token(session, user=clinic.nurse, name="test", days=30)
        session.commit()
        g.pop("_login_user", None)
        found = client.get(f"/api/v1/assessments/{month_1.id}",
                           headers={"Authorization": f"Bearer {plain}"}).get_json()
    state = found["self_report"]
    assert state is not None and state["invited"] is True
    assert [(m["step"], m["state"]) for m in state["messages"]] == [(0, "sent")]
    assert state["planned"] == [] and state["call_from"] is None, "nothing more is planned"
