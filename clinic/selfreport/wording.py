"""The patient pages' wording, one TOML file per language (pure; data, not code).

``wording/<code>.toml`` holds the page texts, e-mail texts, questions, scale anchors,
satisfaction choices and, for languages other than English, the ODI/NDI statements.
English statements come from :mod:`clinic.scoring.wording` (the paraphrase the nurses
read), so there is one English text to keep right. Each file says where its wording
comes from in ``[meta] source``; a test checks that every language has every key.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from clinic.catalog import LANGUAGES
from clinic.scoring.wording import SectionWording, wording_of

FOLDER = Path(__file__).with_name("wording")
DEFAULT_LANGUAGE = "en"


class Wording:
    """The texts of one language; ``text("ui", "start")`` or ``ui("hello", first_name=…)``."""

    def __init__(self, code: str, data: dict[str, Any]) -> None:
        self.code = code
        self.data = data

    def text(self, part: str, key: str, **values: object) -> str:
        template = str(self.data[part][key])
        return template.format(**values) if values else template

    def ui(self, key: str, **values: object) -> str:
        return self.text("ui", key, **values)

    def email(self, key: str, **values: object) -> str:
        return self.text("email", key, **values)

    def question(self, instrument: str) -> str:
        return self.text("questions", instrument)

    def section(self, instrument: str, section: str) -> SectionWording | None:
        own = self.data.get("sections", {}).get(instrument, {}).get(section, {})
        base = wording_of(instrument, section) if self.code == DEFAULT_LANGUAGE else None
        if "statements" in own:
            return SectionWording(str(own["question"]), tuple(own["statements"]))  # type: ignore[arg-type]
        if base is not None and "question" in own:  # the patient's own title only
            return SectionWording(str(own["question"]), base.statements)
        return base

    def number(self, text: str) -> str:
        """'6.5' as the patient writes it ('6,5' in Spanish)."""
        return text.replace(".", str(self.data["meta"].get("decimal", ".")))

    def interval(self, days: int, label: str) -> str:
        """'1 month', '2 semanas': the time since treatment, in this language."""
        t = self.data["time"]
        if self.code == DEFAULT_LANGUAGE:
            return label  # the study's own label is English already ("1 month")
        if days <= 0:
            return str(t["soon"])
        for unit, size in (("month", 30), ("week", 7), ("day", 1)):
            if days % size == 0:
                n = days // size
                return str(t[unit]) if n == 1 else str(t[f"{unit}s"]).format(n=n)
        return str(t["days"]).format(n=days)  # pragma: no cover (size 1 always divides)


@cache
def wording(code: str | None) -> Wording:
    """The wording of a language code; English for an unknown or missing one."""
    code = code if code in LANGUAGES else DEFAULT_LANGUAGE
    with (FOLDER / f"{code}.toml").open("rb") as handle:
        return Wording(code, tomllib.load(handle))
