"""The follow-up sheet: blank for a timepoint (clinics that collect on paper), or filled
with what was recorded at a visit (for the chart). Each instrument is printed with its
question and, for the ODI and NDI, the six statements of every section, from
clinic.scoring.wording (the same text the entry screen shows)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from reportlab.lib.pagesizes import A4
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
from clinic.scoring.wording import ANCHORS, QUESTIONS, source_note, wording_of
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


def followup_sheet_pdf(header: SheetHeader, instruments: Sequence[Instrument],
                       recorded: Mapping[str, Any] | None = None,
                       totals: Mapping[str, str] | None = None) -> bytes:
    """``recorded``: instrument -> value (sections as code -> 0–5), as the forms read it;
    ``totals``: instrument -> its total as recorded, in words (ODI, NDI)."""
    st = styles()
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN,
                            title=f"Follow-up {header.study} {header.timepoint}")
    story: list[Any] = [Paragraph(markup(f"Follow-up: {header.timepoint} · {header.study}"),
                                  st["title"])]
    if header.synthetic:
        story.append(Paragraph("SYNTHETIC study: made-up patients only.", st["small"]))
    if header.draft:
        story.append(Paragraph("DRAFT protocol, a preview: not for collecting data (the "
                               "study may change before it is activated).", st["small"]))
    story.append(_header_table(header, st))
    values = recorded or {}
    for inst in instruments:
        story += _instrument(inst, values.get(inst.code), st)
        if totals and inst.code in totals:
            story.append(Paragraph(markup(f"Total: {totals[inst.code]}"), st["cellb"]))
    if header.missing_reason:
        story.append(Paragraph(markup(f"Not collected, because: {header.missing_reason}"),
                               st["base"]))
    story += [Spacer(1, 8), Paragraph("Adverse event since the last visit (type, onset, "
                                      "severity): ______________________________________",
                                      st["base"]),
              Spacer(1, 6), Paragraph(f"Collected by: {_line(header.collected_by)}   "
                                      "Signature: ______________________", st["base"])]
    doc.build(story)
    return buffer.getvalue()


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
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, GRID)]))
    return table


def _instrument(inst: Instrument, value: Any, st: Mapping[str, Any]) -> list[Any]:
    out: list[Any] = [Paragraph(markup(inst.label), st["h2"])]
    question = QUESTIONS.get(inst.code)
    if question:
        out.append(Paragraph(markup(question), st["base"]))
    if inst.kind is InstrumentKind.SECTIONS:
        answers = value if isinstance(value, Mapping) else {}
        for i, section in enumerate(inst.sections, start=1):
            words = wording_of(inst.code, section.code)
            chosen = answers.get(section.code)
            lines = [Paragraph(markup(f"{i}. {section.label}"
                                      + (f": {words.asks}" if words and words.asks else "")),
                                st["cellb"])]
            statements = words.statements if words else tuple(str(n) for n in range(6))
            lines += [Paragraph(f"{TICKED if chosen == n else EMPTY} {n}  {markup(text)}",
                                st["cell"]) for n, text in enumerate(statements)]
            out.append(KeepTogether(lines + [Spacer(1, 3)]))
        note = source_note(inst.code)
        if note:
            out.append(Paragraph(markup(note), st["small"]))
    elif inst.kind is InstrumentKind.SCALE:
        low, high = ANCHORS.get(inst.code, ("0", "10"))
        exact = None if value is None else float(value)
        chosen = None if exact is None or not exact.is_integer() else int(exact)
        marks = "   ".join(f"{TICKED if chosen == n else EMPTY} {n}" for n in range(11))
        out.append(Paragraph(f"{markup(low)}  {marks}  {markup(high)}", st["base"]))
        if exact is not None and chosen is None:  # a box would show another value
            out.append(Paragraph(f"Recorded: {exact:g} (between the boxes)", st["base"]))
    elif inst.kind is InstrumentKind.LIKERT:
        out.append(Paragraph("   ".join(f"{TICKED if value == code else EMPTY} {markup(label)}"
                                        for code, label in inst.choices), st["base"]))
    else:
        shown = "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
        out.append(Paragraph(f"{markup(inst.unit)}: {_line(shown)}", st["base"]))
    return out
