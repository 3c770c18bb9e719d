"""The pure core of self-report: the ladder's dates, the token, the screens, the wording."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from clinic.catalog import LANGUAGES
from clinic.scoring.instruments import INSTRUMENTS
from clinic.selfreport.ladder import LadderSpec, call_on, due_steps, ladder
from clinic.selfreport.screens import (
    SKIPPED,
    entries,
    first_open,
    parse_answer,
    patient_measures,
    screens,
)
from clinic.selfreport.tokens import looks_like_token, new_token, token_hash
from clinic.selfreport.wording import FOLDER, wording

OPEN, CLOSE = date(2026, 2, 7), date(2026, 2, 21)


def test_the_ladder_counts_from_the_opening_of_the_window_and_stops_at_its_close():
    spec = LadderSpec((0, 3, 7, 20))
    assert ladder(OPEN, CLOSE, spec) == [(0, date(2026, 2, 7)), (1, date(2026, 2, 10)),
                                         (2, date(2026, 2, 14))]  # day 20 is after the close


def test_due_steps_are_those_whose_day_has_come_while_the_window_is_open():
    spec = LadderSpec((0, 3, 7))
    assert due_steps(OPEN, CLOSE, date(2026, 2, 6), spec) == []
    assert [s for s, _ in due_steps(OPEN, CLOSE, date(2026, 2, 10), spec)] == [0, 1]
    assert [s for s, _ in due_steps(OPEN, CLOSE, CLOSE, spec)] == [0, 1, 2]
    assert due_steps(OPEN, CLOSE, date(2026, 2, 22), spec) == []


def test_the_call_task_comes_after_its_days_and_leaves_days_to_call_in_the_window():
    """Found trying the app as a new user would: the call came on the window's last day,
    or never when the protocol's days ran past the window. It comes at the latest two
    days before the window closes (from its opening in a window shorter than that)."""
    assert call_on(OPEN, CLOSE, LadderSpec(call_after_days=10)) == date(2026, 2, 17)
    assert call_on(OPEN, CLOSE, LadderSpec(call_after_days=13)) == date(2026, 2, 19)
    assert call_on(OPEN, CLOSE, LadderSpec(call_after_days=30)) == date(2026, 2, 19)
    assert call_on(OPEN, date(2026, 2, 8), LadderSpec(call_after_days=10)) == OPEN
    assert call_on(OPEN, CLOSE, LadderSpec(call_after_days=None)) is None


def test_the_spec_round_trips_through_json():
    spec = LadderSpec((0, 5), 12, "birth_year")
    assert LadderSpec.from_json(spec.to_json()) == spec
    assert LadderSpec.from_json(None) is None


def test_tokens_carry_192_bits_and_only_their_hash_is_kept():
    tokens = {new_token() for _ in range(2_000)}
    assert len(tokens) == 2_000
    assert all(len(t) == 32 and looks_like_token(t) for t in tokens)
    token = next(iter(tokens))
    assert len(token_hash(token)) == 64 and token not in token_hash(token)
    assert not looks_like_token(token[:-1]) and not looks_like_token(token + "A")
    assert not looks_like_token("../" + token[3:])


def test_the_patient_answers_pain_odi_and_satisfaction_but_not_medication():
    assert patient_measures(["vas", "odi", "ome", "nsaid_reduction", "satisfaction_results",
                             "gabapentin"]) == ["vas", "odi", "satisfaction_results"]
    found = screens(["vas", "odi", "satisfaction_results"], wording("en"))
    assert len(found) == 12  # 1 + 10 sections + 1: "3 of 12"
    assert [s.kind for s in found[:2]] == ["pain", "statements"]
    assert len(found[1].options) == 6 and found[1].options[0][0] == "0"


@pytest.mark.parametrize(("raw", "kept"), [("4", "4"), ("4,5", "4.5"), (" 10 ", "10"),
                                           ("0", "0"), ("7.25", None), ("skip", SKIPPED),
                                           ("11", None), ("-1", None), ("nan", None),
                                           ("inf", None), ("", None), ("4e0", None),
                                           ("1e1", None), ("x", None), ("10.5", None),
                                           ("05", "5"), ("4.", None)])
def test_a_pain_answer_is_a_number_from_0_to_10(raw, kept):
    pain = screens(["vas"], wording("en"))[0]
    assert parse_answer(pain, raw) == kept


def test_a_statement_answer_must_be_one_of_the_six_levels():
    section = screens(["odi"], wording("es"))[0]
    assert parse_answer(section, "5") == "5"
    assert parse_answer(section, "6") is None
    assert parse_answer(section, "<script>") is None


def test_answers_become_the_entries_the_follow_up_service_scores():
    found = screens(["vas", "odi", "satisfaction_results"], wording("en"))
    answers = {"vas": "4.5", "odi.pain_intensity": "2", "odi.walking": SKIPPED,
               "satisfaction_results": "satisfied"}
    assert entries(found, answers) == {"vas": 4.5, "odi": {"pain_intensity": 2},
                                       "satisfaction_results": "satisfied"}
    assert first_open(found, answers) == 2  # odi.personal_care: the first not yet seen
    assert entries(found, {"vas": SKIPPED}) == {}


def test_every_language_has_every_text_and_says_where_it_comes_from():
    english = tomllib.loads((FOLDER / "en.toml").read_text(encoding="utf-8"))
    for code in LANGUAGES:
        data = tomllib.loads((FOLDER / f"{code}.toml").read_text(encoding="utf-8"))
        assert data["meta"]["source"].strip()
        for part in ("ui", "email", "questions", "anchors", "satisfaction", "instruments",
                     "time", "sheet"):
            assert set(data[part]) == set(english[part]), (code, part)
        w = wording(code)
        for instrument in ("odi", "ndi"):  # every section in every language, six levels
            for section in INSTRUMENTS[instrument].sections:
                found = w.section(instrument, section.code)
                assert found is not None and len(found.statements) == 6, (code, section)


def test_the_time_since_treatment_is_said_in_the_patient_language():
    es = wording("es")
    assert [es.interval(d, "") for d in (1, 7, 14, 30, 90, 180)] == [
        "1 día", "1 semana", "2 semanas", "1 mes", "3 meses", "6 meses"]
    assert wording("en").interval(30, "1 month") == "1 month"
    assert wording("xx").code == "en"
    assert wording("es").number("6.5") == "6,5" and wording("en").number("6.5") == "6.5"


def test_the_questionnaire_does_not_ask_pain_twice_in_the_same_words():
    for code in LANGUAGES:
        found = screens(["vas", "odi"], wording(code))
        assert found[0].question != found[1].question, code
