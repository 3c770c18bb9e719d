"""Every section of the ODI and the NDI has its question and six statements, in order."""

from __future__ import annotations

import pytest

from clinic.scoring.disability import SECTIONS_BY_INSTRUMENT
from clinic.scoring.wording import QUESTIONS, SECTION_WORDING, source_note, wording_of


@pytest.mark.parametrize("instrument", sorted(SECTIONS_BY_INSTRUMENT))
def test_each_section_has_a_question_and_six_statements(instrument):
    sections = SECTIONS_BY_INSTRUMENT[instrument]
    assert {s.code for s in sections} == set(SECTION_WORDING[instrument])
    for section in sections:
        wording = wording_of(instrument, section.code)
        assert wording is not None and wording.question
        assert len(wording.statements) == 6 and len(set(wording.statements)) == 6
    assert "paraphrased" in source_note(instrument).lower()


def test_the_pain_scales_say_their_anchors():
    assert "0" in QUESTIONS["nrs"] and "10" in QUESTIONS["nrs"]
    assert wording_of("vas", "anything") is None and source_note("vas") is None
