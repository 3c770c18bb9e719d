"""The day's call list on paper: who to call, the number, the visit and its window, and
room to write who was reached."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from io import BytesIO

from reportlab.lib.pagesizes import A4, landscape
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from clinic.followup.worklist import WorklistRow
from clinic.reports.render.fonts import markup
from clinic.sheets.common import GRID, MARGIN, styles


def call_list_pdf(rows: Sequence[WorklistRow], *, day: date, site: str,
                  groups: Mapping[str, str], with_contact: bool,
                  notes: Mapping[int, str] | None = None) -> bytes:
    """``notes``: the worklist's word on a self-report visit (link sent, opened, not
    answered: call), printed under the visit."""
    notes = notes or {}
    st = styles()
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=MARGIN,
                            rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
                            title=f"Call list {day.isoformat()}")
    story = [Paragraph(f"Call list · {day.isoformat()} · {markup(site, bold=True)}", st["title"]),
             Paragraph("Follow-ups due today, overdue, or whose window closes within three "
                       "days, and self-report visits whose link was not delivered or not "
                       "answered. Contains identifying data: keep it with the patient files "
                       "and shred it after use.", st["small"]), Spacer(1, 4)]
    if not rows:
        story.append(Paragraph("Nobody to call.", st["base"]))
    else:
        header = ["When", "Study code", *(["Name", "Phone"] if with_contact else []),
                  "Visit", "Target", "Window", "Reached / note"]
        data = [[Paragraph(h, st["cellb"]) for h in header]]
        for r in rows:
            contact = [r.name or "", r.phone or ""] if with_contact else []
            visit = markup(r.timepoint)
            if r.assessment_id in notes:
                visit += f"<br/><i>{markup(notes[r.assessment_id])}</i>"
            cells = [*(markup(text) for text in (groups[r.group], r.study_code, *contact)),
                     visit, r.target_date.isoformat(),
                     f"{r.window_open.isoformat()} – {r.window_close.isoformat()}"]
            data.append([Paragraph(cell, st["cell"]) for cell in cells] + [""])
        widths = [95, 70, *([110, 90] if with_contact else []), 110, 60, 120, 0]
        widths[-1] = landscape(A4)[0] - 2 * MARGIN - sum(widths[:-1])
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, GRID),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("TOPPADDING", (0, 1), (-1, -1), 6),
                                   ("BOTTOMPADDING", (0, 1), (-1, -1), 6)]))
        story.append(table)
    doc.build(story)
    return buffer.getvalue()
