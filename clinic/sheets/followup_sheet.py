"""The follow-up sheet: blank for a timepoint (clinics that collect on paper), or filled
with what was recorded at a visit (for the chart). Each instrument is printed with its
question and, for the ODI and NDI, the six statements of every section, from
clinic.scoring.wording (the same text the entry screen shows); in the patient's language
when it is not English, from clinic.selfreport.wording (the text of the patient's own
pages), the sheet's staff fields staying in English. The VAS is a 100 mm line the
patient marks (the screen takes 7.5), the NRS eleven boxes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from reportlab.graphics.shapes import Drawing, Line
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from clinic.reports.render.fonts import markup
from clinic.scoring.instruments import Instrument, InstrumentKind
from clinic.scoring.wording import ANCHORS, QUESTIONS, SectionWording, source_note, wording_of
from clinic.selfreport.wording import DEFAULT_LANGUAGE, Wording, wording
from clinic.sheets.common import GRID, MARGIN, WIDTH, styles

EMPTY, TICKED = "☐", "☒"


@dataclass(frozen=True)
class SheetHeader:
    study: str
    timepoint: str
    window: str = ""  # "2026-12-01 – 2026-12-15" for a patient's visit
    study_code: str = ""  # blank on a blank sheet
    name: str = ""  # only for roles that see identity
    visit_on: str = ""
    mode: str = ""
    synthetic: bool = False
    draft: bool = False  # a draft protocol's preview
    collected_by: str = ""  # a recorded visit: who entered it
    missing_reason: str = ""  # a recorded visit: why an outcome was not collected


@dataclass(frozen=True)
class PatientWords:
    """What the patient reads on the sheet: in English the entry screen's text (the
    nurse reads it out on the phone), in another language the wording of the patient's
    own pages."""

    language: Wording = field(default_factory=lambda: wording(DEFAULT_LANGUAGE))

    @property
    def _other(self) -> Wording | None:
        return None if self.language.code == DEFAULT_LANGUAGE else self.language

    def title(self, inst: Instrument) -> str:
        own = self._other.data.get("instruments", {}).get(inst.code) if self._other else None
        return f"{inst.label}: {own}" if own else inst.label

    def question(self, code: str) -> str | None:
        """The sheet's own question (the medication questions the patient pages do not
        ask), or the patient pages' in another language, or the entry screen's."""
        if code in self.language.data["sheet"]:
            return self.language.text("sheet", code)
        if self._other is not None and code in self._other.data["questions"]:
            return self._other.question(code)
        return QUESTIONS.get(code)

    def section(self, code: str, section: str) -> SectionWording | None:
        return self._other.section(code, section) if self._other else wording_of(code, section)

    def heading(self, label: str, words: SectionWording | None) -> str:
        """A section's heading: "Lifting", "Pain intensity: <its question>"; in another
        language its own title, the English name after it for the nurse ("Levantar
        cosas · Lifting")."""
        if self._other is not None and words is not None:
            return f"{words.question.rstrip(':')} · {label}"
        return label + (f": {words.asks}" if words and words.asks else "")

    def anchors(self, code: str) -> tuple[str, str]:
        if self._other is not None:
            return self._other.text("anchors", "low"), self._other.text("anchors", "high")
        low, high = ANCHORS.get(code, ("", ""))
        return f"0 = {low}", f"10 = {high}"

    def choice(self, code: str, label: str) -> str:
        return str(self._other.data["satisfaction"].get(code, label)) if self._other else label

    def mark_the_line(self) -> str:
        return self.language.text("sheet", "mark_the_line")


VAS_LENGTH = 100 * mm


def followup_sheet_pdf(header: SheetHeader, instruments: Sequence[Instrument],
                       recorded: Mapping[str, Any] | None = None,
                       totals: Mapping[str, str] | None = None,
                       words: PatientWords | None = None,
                       medications: Sequence[str] = (),
                       adverse_events: Sequence[str] | None = None) -> bytes:
    """``recorded``: instrument -> value (sections as code -> 0–5), as the forms read it;
    ``totals``: instrument -> its total as recorded, in words (ODI, NDI); ``words``: the
    patient's language (English when None); ``medications``: the analgesics recorded
    ("tramadol 100 mg/day (Opioid)"; none: a line to fill where the visit asks for
    medication quantities); ``adverse_events``: those recorded at the visit ("Hematoma,
    onset 2026-12-06, Mild, related to the procedure"), None while it is pending (a line
    to fill)."""
    st = styles()
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN,
                            title=f"Follow-up {header.study} {header.timepoint}")
    story: list[Any] = [Paragraph(markup(f"Follow-up: {header.timepoint} · {header.study}",
                                         bold=True), st["title"])]
    if header.synthetic:
        story.append(Paragraph("SYNTHETIC study: made-up patients only.", st["small"]))
    if header.draft:
        story.append(Paragraph("DRAFT protocol, a preview: not for collecting data (the "
                               "study may change before it is activated).", st["small"]))
    story.append(_header_table(header, st))
    values = recorded or {}
    for inst in instruments:
        story += _instrument(inst, values.get(inst.code), st, words or PatientWords())
        if totals and inst.code in totals:
            story.append(Paragraph(markup(f"Total: {totals[inst.code]}", bold=True),
                                   st["cellb"]))
    if medications:
        story.append(Paragraph(markup("Analgesics taken: " + "; ".join(medications)),
                               st["base"]))
    elif any(inst.kind is InstrumentKind.QUANTITY for inst in instruments) and not values:
        story.append(Paragraph("Analgesics taken (drug, daily dose): "
                               "______________________________________", st["base"]))
    if header.missing_reason:
        story.append(Paragraph(markup(f"Not collected, because: {header.missing_reason}"),
                               st["base"]))
    story += [Spacer(1, 8), Paragraph(_adverse_events(adverse_events), st["base"]),
              Spacer(1, 6), Paragraph(f"Collected by: {_line(header.collected_by)}   "
                                      "Signature: ______________________", st["base"])]
    doc.build(story)
    return buffer.getvalue()


def _adverse_events(recorded: Sequence[str] | None) -> str:
    """The sheet's adverse-event line: a line to fill, or what the visit recorded (a
    recorded visit's blank line read as "none" when one was recorded)."""
    if recorded is None:
        return ("Adverse event since the last visit (type, onset, severity): "
                "______________________________________")
    if not recorded:
        return "Adverse event since the last visit: none recorded at this visit."
    return markup("Adverse event since the last visit: " + "; ".join(recorded) + ".")


def _line(value: str) -> str:
    return markup(value) if value else "_" * 22


def _header_table(h: SheetHeader, st: Mapping[str, Any]) -> Table:
    rows = [["Study code", _line(h.study_code), "Name", _line(h.name)],
            ["Date of the visit", _line(h.visit_on), "How collected",
             _line(h.mode) if h.mode else "☐ in clinic  ☐ phone  ☐ self-report"]]
    if h.window:
        rows.append(["Window", markup(h.window), "", ""])
    table = Table([[Paragraph(c, st["cell"]) for c in r] for r in rows],
                  colWidths=[WIDTH * 0.18, WIDTH * 0.32, WIDTH * 0.16, WIDTH * 0.34])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, GRID),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _instrument(inst: Instrument, value: Any, st: Mapping[str, Any],
                patient: PatientWords) -> list[Any]:
    out: list[Any] = [Paragraph(markup(patient.title(inst), bold=True), st["h2"])]
    question = patient.question(inst.code)
    if question:
        out.append(Paragraph(markup(question), st["base"]))
    if inst.kind is InstrumentKind.SECTIONS:
        answers = value if isinstance(value, Mapping) else {}
        for i, section in enumerate(inst.sections, start=1):
            words = patient.section(inst.code, section.code)
            chosen = answers.get(section.code)
            lines = [Paragraph(markup(f"{i}. {patient.heading(section.label, words)}",
                                      bold=True), st["cellb"])]
            statements = words.statements if words else tuple(str(n) for n in range(6))
            lines += [Paragraph(f"{TICKED if chosen == n else EMPTY} {n}  {markup(text)}",
                                st["cell"]) for n, text in enumerate(statements)]
            out.append(KeepTogether(lines + [Spacer(1, 3)]))
        note = source_note(inst.code)
        if note:
            out.append(Paragraph(markup(note), st["small"]))
    elif inst.kind is InstrumentKind.SCALE and inst.code == "vas":
        out += _vas_line(None if value is None else float(value), patient, st)
    elif inst.kind is InstrumentKind.SCALE:
        low, high = patient.anchors(inst.code)
        exact = None if value is None else float(value)
        chosen = None if exact is None or not exact.is_integer() else int(exact)
        marks = "   ".join(f"{TICKED if chosen == n else EMPTY} {n}" for n in range(11))
        out.append(Paragraph(f"{markup(low)}  {marks}  {markup(high)}", st["base"]))
        if exact is not None and chosen is None:  # a box would show another value
            out.append(Paragraph(f"Recorded: {exact:g} (between the boxes)", st["base"]))
    elif inst.kind is InstrumentKind.LIKERT:
        out.append(Paragraph("   ".join(
            f"{TICKED if value == code else EMPTY} {markup(patient.choice(code, label))}"
            for code, label in inst.choices), st["base"]))
    else:
        shown = "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
        out.append(Paragraph(f"{markup(inst.unit)}: {_line(shown)}", st["base"]))
    return out


def _vas_line(value: float | None, patient: PatientWords,
              st: Mapping[str, Any]) -> list[Any]:
    """A 100 mm line from "no pain" to "worst pain imaginable" for the patient's mark; the
    nurse measures it in mm (the screen takes cm: 7.5). A recorded value is marked on it,
    printed at scale (the PDF is printed without fitting to the page)."""
    height = 6 * mm
    line = Drawing(VAS_LENGTH, height)
    line.add(Line(0, height / 2, VAS_LENGTH, height / 2, strokeWidth=1))
    for x in (0, VAS_LENGTH):
        line.add(Line(x, 0, x, height, strokeWidth=1))
    if value is not None:
        x = VAS_LENGTH * min(max(value, 0), 10) / 10
        line.add(Line(x, 0, x, height, strokeWidth=2.5))
    low, high = patient.anchors("vas")
    anchors = Table([[Paragraph(markup(low), st["cell"]),
                      Paragraph(markup(high), st["cellr"])]],
                    colWidths=[VAS_LENGTH / 2] * 2, hAlign="LEFT")
    anchors.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0),
                                 ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    measured = (f"Recorded: {value:g} (the mark at {value * 10:g} mm)" if value is not None
                else "Measured by the nurse: ____ mm from the left end (÷ 10 = the VAS)")
    return [Paragraph(markup(patient.mark_the_line()), st["base"]),
            KeepTogether([Spacer(1, 3), line, anchors]),
            Paragraph(markup(measured), st["small"])]
