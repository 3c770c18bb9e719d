"""Reading a screen's own form as the browser sees it: which fields can be typed in and
whether it can be sent (for the forms a lock turns read-only); and setting the locks."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from flask import Flask
from sqlmodel import Session

from clinic.db import get_engine
from clinic.locks.service import lock_patient, lock_study, lock_visit
from clinic.models import Assessment, Patient, Study

FIELDS = ("input", "select", "textarea")


@dataclass
class PageForm:
    """The page's own forms (posted to the page's address): their typed fields, each
    with whether it is disabled (by itself or by a disabled fieldset), and their submit
    buttons."""

    fields: list[tuple[str, bool]] = field(default_factory=list)  # (name, disabled)
    submits: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # as shown, hidden ones too

    @property
    def read_only(self) -> bool:
        return bool(self.fields) and all(disabled for _name, disabled in self.fields) \
            and not self.submits

    @property
    def editable(self) -> bool:
        return bool(self.fields) and not any(disabled for _name, disabled in self.fields) \
            and bool(self.submits)


class _Reader(HTMLParser):
    def __init__(self, path: str) -> None:
        super().__init__()
        self.path, self.form = path, PageForm()
        self.in_form = False
        self.fieldsets: list[bool] = []  # each open fieldset: disabled or not
        self.select: str | None = None  # the select being read
        self.textarea: str | None = None  # the textarea being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.in_form = (a.get("method") or "").lower() == "post" \
                and (a.get("action") or self.path) == self.path
        elif tag == "fieldset":
            self.fieldsets.append("disabled" in a)
        elif self.in_form and tag == "option" and self.select is not None:
            if "selected" in a or self.select not in self.form.values:
                self.form.values[self.select] = a.get("value") or ""
        elif self.in_form and tag in FIELDS:
            self._field(tag, a)
        if self.in_form and ((tag == "button" and a.get("type", "submit") == "submit")
                             or (tag == "input" and a.get("type") == "submit")):
            self.form.submits.append(a.get("name") or tag)

    def _field(self, tag: str, a: dict[str, str | None]) -> None:
        name = a.get("name") or ""
        if tag == "select":
            self.select = name
        elif tag == "textarea":
            self.textarea, self.form.values[name] = name, ""
        elif a.get("type") not in ("checkbox", "radio", "submit") or "checked" in a:
            self.form.values[name] = a.get("value") or ""
        if a.get("type") not in ("hidden", "submit"):
            self.form.fields.append((name, "disabled" in a or any(self.fieldsets)))

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.form.values[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.in_form = False
        elif tag == "fieldset" and self.fieldsets:
            self.fieldsets.pop()


def page_form(page: str, path: str) -> PageForm:
    reader = _Reader(path)
    reader.feed(page)
    return reader.form


def set_lock(app: Flask, level: str, *, patient_id: int, actor_id: int | None,
             visit_id: int | None = None) -> int:
    """Lock the patient's study, record or one visit, as ``actor_id``; the lock's id."""
    with Session(get_engine(app), expire_on_commit=False) as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        if level == "study":
            lock = lock_study(session, session.get(Study, patient.study_id),  # type: ignore[arg-type]
                              actor_id=actor_id)
        elif level == "patient":
            lock = lock_patient(session, patient, actor_id=actor_id)
        else:
            lock = lock_visit(session, session.get(Assessment, visit_id),  # type: ignore[arg-type]
                              actor_id=actor_id)
        session.commit()
        return lock.id  # type: ignore[return-value]
