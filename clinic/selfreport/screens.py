"""What the patient is asked at one visit, one question per screen (pure).

Patients answer the measures they can report themselves: pain (VAS or NRS, a number
from 0 to 10), the ODI/NDI (one section per screen, the six statements), and the
satisfaction questions. Medication quantities (OME, NSAID reduction, gabapentin) stay
with the staff. Answers are kept as text by screen key (``"vas"``, ``"odi.walking"``),
or ``SKIPPED``; :func:`entries` turns them into what the follow-up service scores.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from clinic.scoring.instruments import INSTRUMENTS, InstrumentKind
from clinic.scoring.likert import Satisfaction
from clinic.selfreport.wording import Wording

SKIPPED = "skip"
PATIENT_KINDS = frozenset({InstrumentKind.SCALE, InstrumentKind.SECTIONS,
                           InstrumentKind.LIKERT})
MAX_ANSWER_LENGTH = 40
PAIN_NUMBER = re.compile(r"\d{1,2}(?:[.,]\d)?")  # 0 to 10, at most one decimal


@dataclass(frozen=True)
class Screen:
    key: str  # "vas", "odi.walking", "satisfaction_results"
    kind: str  # "pain" | "statements" | "choice"
    instrument: str
    question: str
    heading: str = ""  # the questionnaire, for sectioned instruments
    options: tuple[tuple[str, str], ...] = ()  # (value, text)


def patient_measures(instruments: Iterable[str]) -> list[str]:
    """The visit's measures a patient can answer, in protocol order."""
    return [c for c in instruments if c in INSTRUMENTS and INSTRUMENTS[c].kind in PATIENT_KINDS]


def screens(instruments: Iterable[str], w: Wording) -> list[Screen]:
    result: list[Screen] = []
    for code in patient_measures(instruments):
        instrument = INSTRUMENTS[code]
        if instrument.kind is InstrumentKind.SCALE:
            result.append(Screen(code, "pain", code, w.question(code)))
        elif instrument.kind is InstrumentKind.SECTIONS:
            result += _sections(code, w)
        else:
            options = tuple((level.value, w.text("satisfaction", level.value))
                            for level in Satisfaction)
            result.append(Screen(code, "choice", code, w.question(code), options=options))
    return result


def _sections(code: str, w: Wording) -> list[Screen]:
    out = []
    for section in INSTRUMENTS[code].sections:
        wording = w.section(code, section.code)
        assert wording is not None, f"no wording for {code}.{section.code} in {w.code}"
        options = tuple((str(level), text) for level, text in enumerate(wording.statements))
        out.append(Screen(f"{code}.{section.code}", "statements", code, wording.question,
                          heading=w.text("instruments", code), options=options))
    return out


def parse_answer(screen: Screen, raw: str | None) -> str | None:
    """The answer to keep (normalised text, or SKIPPED), or None when it is not valid."""
    text = (raw or "").strip()[:MAX_ANSWER_LENGTH]
    if text == SKIPPED:
        return SKIPPED
    if screen.kind == "pain":
        if not PAIN_NUMBER.fullmatch(text):
            return None  # "1e1", "2.25": not changed silently, asked again
        value = float(text.replace(",", "."))
        if not math.isfinite(value) or not 0 <= value <= 10:
            return None
        return f"{value:g}"
    return text if text in {value for value, _ in screen.options} else None


def answered(all_screens: list[Screen], answers: Mapping[str, str]) -> int:
    return sum(1 for s in all_screens if answers.get(s.key) not in (None, SKIPPED))


def first_open(all_screens: list[Screen], answers: Mapping[str, str]) -> int:
    """Index of the first screen with no answer (len(screens): all seen)."""
    for i, s in enumerate(all_screens):
        if s.key not in answers:
            return i
    return len(all_screens)


def entries(all_screens: list[Screen], answers: Mapping[str, str]) -> dict[str, object]:
    """The follow-up entries: pain numbers, section mappings, satisfaction codes.

    A skipped pain or satisfaction question is left out; a sectioned questionnaire is
    included when at least one section was answered (too many skipped sections make
    it 'not computable', as on paper).
    """
    out: dict[str, object] = {}
    for s in all_screens:
        value = answers.get(s.key)
        if value is None or value == SKIPPED:
            continue
        if s.kind == "pain":
            out[s.instrument] = float(value)
        elif s.kind == "statements":
            section = s.key.split(".", 1)[1]
            out.setdefault(s.instrument, {})[section] = int(value)  # type: ignore[index]
        else:
            out[s.instrument] = value
    return out


def shown_answer(screen: Screen, value: str | None, w: Wording | None = None) -> str | None:
    """The answer as the patient chose it (the statement, not its number)."""
    if value is None or value == SKIPPED:
        return None
    if screen.kind == "pain":
        return w.number(value) if w is not None else value
    return dict(screen.options).get(value)


def minutes(all_screens: list[Screen]) -> int:
    """About how long it takes: 20 seconds a screen, at least two minutes."""
    return max(2, round(len(all_screens) / 3))
