"""The report as a journal-style PDF (reportlab): title page, tables, vector figure.

Only the generation time (on the title page and as the file's date) differs between two
runs on the same data and filters (the document is written with reportlab's
``invariant`` mode).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from clinic.reports.builder import Report, figure_title
from clinic.reports.figure import figure_drawing
from clinic.reports.loveplot import love_plot
from clinic.reports.render.fonts import BOLD, FONT, markup, register_fonts
from clinic.reports.tables import Cell, Row
from clinic.reports.tables import Table as ReportTable

MARGIN = 16 * mm
FRAME_W = A4[0] - 2 * MARGIN
GREY = colors.HexColor("#666666")
TABLE_START = 45 * mm  # room for a title and a few rows, else the table starts a page


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12)
    return {
        "base": base,
        "title": ParagraphStyle("title", base, fontName=BOLD, fontSize=17, leading=22,
                                spaceAfter=10),
        "h2": ParagraphStyle("h2", base, fontName=BOLD, fontSize=10.5, leading=14,
                             spaceBefore=8, spaceAfter=4, keepWithNext=1),
        "table": ParagraphStyle("table", base, fontName=BOLD, fontSize=10.5, leading=14,
                                spaceBefore=8, spaceAfter=4),
        "cell": ParagraphStyle("cell", base, fontSize=7.5, leading=9.2),
        "cellb": ParagraphStyle("cellb", base, fontName=BOLD, fontSize=7.5, leading=9.2),
        "lvl1": ParagraphStyle("lvl1", base, fontSize=7.5, leading=9.2, leftIndent=7),
        "lvl2": ParagraphStyle("lvl2", base, fontSize=7.5, leading=9.2, leftIndent=14),
        "head": ParagraphStyle("head", base, fontName=BOLD, fontSize=7.5, leading=9.2,
                               alignment=1),
        "note": ParagraphStyle("note", base, fontSize=6.8, leading=8.4, textColor=GREY),
        "banner": ParagraphStyle("banner", base, fontName=BOLD, fontSize=11,
                                 textColor=colors.HexColor("#B00020"), spaceAfter=8),
    }


class ValueCell(Flowable):
    """A centred value with its test mark and, below it, the n: drawn directly on the
    canvas (much faster than a Paragraph, and values never need wrapping)."""

    SIZE, SMALL, LEADING = 7.5, 6.0, 9.2

    def __init__(self, cell: Cell) -> None:
        super().__init__()
        text, _, exact = cell.text.partition(" (exact ")
        self.cell, self.text = cell, text
        self.exact = f"exact {exact.rstrip(')')}" if exact else None  # a second, small line
        self.lines = (1 if cell.text else 0) + (1 if self.exact else 0) \
            + (1 if cell.n is not None else 0)

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, self.LEADING * self.lines

    def draw(self) -> None:
        c, cell, x = self.canv, self.cell, self.width / 2
        y = self.LEADING * self.lines - self.SIZE
        if self.text:
            width = stringWidth(self.text, FONT, self.SIZE)
            mark = stringWidth(cell.mark, FONT, self.SMALL) if cell.mark else 0.0
            size = self.SIZE * min(1.0, (self.width - 1) / max(width + mark, 1e-6))
            left = x - (width * size / self.SIZE + mark) / 2
            c.setFont(FONT, size)
            c.drawString(left, y, self.text)
            if cell.mark:
                c.setFont(FONT, self.SMALL)
                c.drawString(left + width * size / self.SIZE, y + 3, cell.mark)
            y -= self.LEADING
        if self.exact:
            c.setFont(FONT, self.SMALL)
            c.drawCentredString(x, y + 1, self.exact)
            y -= self.LEADING
        if cell.n is not None:
            c.setFont(FONT, self.SMALL)
            c.setFillColor(GREY)
            c.drawCentredString(x, y + 1, f"n = {cell.n}")


def _row(row: Row, st: dict[str, ParagraphStyle]) -> list[Any]:
    label_style = st["cellb"] if row.level == 0 else st[f"lvl{min(row.level, 2)}"]
    return [Paragraph(markup(row.label, bold=row.level == 0), label_style),
            *(ValueCell(c) for c in row.cells)]


def spans_row(row: Row) -> bool:
    """A heading with nothing in its cells is printed across the whole width."""
    return row.level == 0 and all(not c.text and c.n is None for c in row.cells)


def _widths(table: ReportTable) -> list[float]:
    k = len(table.columns)
    stub = FRAME_W * (0.36 if k <= 3 else 0.30 if k <= 4 else 0.32)
    last_p = table.columns[-1].label == "p-value"
    p_w = 17 * mm if last_p else 0.0
    rest = (FRAME_W - stub - p_w) / (k - 1 if last_p else k)
    return [stub, *([rest] * (k - 1 if last_p else k)), *([p_w] if last_p else [])]


def _breakable(label: str, width: float, style: ParagraphStyle) -> str:
    """A word wider than its column breaks after its hyphens ("fusion-| guided"), not
    inside a syllable, which is what ReportLab does with a word that does not fit."""
    words = []
    for word in label.split(" "):
        if stringWidth(word, style.fontName, style.fontSize) > width - 14:  # cell padding
            word = word.replace("-", "- ").replace("–", "– ")
        words.append(word)
    return " ".join(words)


def _table_flowables(table: ReportTable, st: dict[str, ParagraphStyle]) -> list[Any]:
    widths = _widths(table)
    header = [Paragraph(markup(table.stub, bold=True), st["cellb"]),
              *(Paragraph(markup(_breakable(c.label, w, st["head"]), bold=True)
                          + (f"<br/>(n = {c.n})" if c.n is not None else ""), st["head"])
                for c, w in zip(table.columns, widths[1:], strict=True))]
    data = [header, *(_row(r, st) for r in table.rows)]
    grid = Table(data, colWidths=widths, repeatRows=1)
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("LINEABOVE", (0, 0), (-1, 0), 1.0, colors.black),
             ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
             ("LINEBELOW", (0, -1), (-1, -1), 1.0, colors.black),
             ("TOPPADDING", (0, 0), (-1, -1), 1.6), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.6)]
    style += [("BACKGROUND", (0, i + 1), (-1, i + 1), colors.HexColor("#F2F2F2"))
              for i, r in enumerate(table.rows) if r.level == 0]
    style += [("SPAN", (0, i + 1), (-1, i + 1)) for i, r in enumerate(table.rows)
              if spans_row(r)]
    style += [("NOSPLIT", (0, i + 1), (-1, i + 2)) for i, r in enumerate(table.rows[:-1])
              if r.level == 0]
    grid.setStyle(TableStyle(style))
    # A table starts on the current page when there is room for its title and a few rows
    # (it then continues with its header repeated); keeping a long table with its title
    # would push it whole to the next page and leave most of this one empty.
    out: list[Any] = [CondPageBreak(TABLE_START), Paragraph(markup(table.title), st["table"]),
                      grid, Spacer(1, 3)]
    out += [Paragraph(_footnote(f), st["note"]) for f in table.footnotes]
    out += [Paragraph(markup(n), st["note"]) for n in table.notes]
    return out


def _footnote(text: str) -> str:
    symbol, _, rest = text.partition(" ")
    if len(symbol) == 1:
        return f"<super>{symbol}</super> {markup(rest)}"
    return markup(text)


def _title_page(report: Report, st: dict[str, ParagraphStyle]) -> list[Any]:
    s = report.study
    out: list[Any] = [Paragraph(f"Study report: {markup(s.code, bold=True)}", st["title"])]
    if s.is_synthetic:
        out.append(Paragraph("SYNTHETIC DATA — not real patients", st["banner"]))
    arms_heading = "Groups (by index modality, not randomized)" if s.is_registry else "Arms"
    out += [Paragraph(markup(s.title, bold=True), st["h2"]),
            Paragraph(markup(s.design), st["base"]), Spacer(1, 6),
            Paragraph(arms_heading, st["h2"])]
    out += [Paragraph(markup(f"{a.code}: {a.label}"), st["base"]) for a in s.arms]
    rows = [*report.filters.describe(),
            ("Patients included", str(report.stamp.patients)),
            ("Data version (SHA-256 of the rows used)", report.stamp.data_version),
            ("Generated", report.stamp.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC"))]
    grid = Table([[Paragraph(markup(k, bold=True), st["cellb"]), Paragraph(markup(v), st["cell"])]
                  for k, v in rows], colWidths=[55 * mm, FRAME_W - 55 * mm])
    grid.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                              ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    out += [Paragraph("Filters and reproducibility", st["h2"]), grid,
            Paragraph("Statistical methods", st["h2"])]
    out += [Paragraph(markup(p), st["base"]) for p in report.methods]
    return [*out, PageBreak()]


def _figure(report: Report, st: dict[str, ParagraphStyle]) -> list[Any]:
    drawing = figure_drawing(list(report.panels), font=FONT)
    scale = FRAME_W / drawing.width
    scaled = Drawing(FRAME_W, drawing.height * scale)
    drawing.scale(scale, scale)
    scaled.add(drawing)
    return [KeepTogether([Paragraph(figure_title(report), st["h2"]), scaled, Spacer(1, 4),
                          Paragraph(markup(report.figure_caption), st["note"])])]


def _love_plot(report: Report, st: dict[str, ParagraphStyle]) -> list[Any]:
    drawing = love_plot(report.balance, font=FONT)
    scale = min(1.0, FRAME_W / drawing.width)
    scaled = Drawing(drawing.width * scale, drawing.height * scale)
    drawing.scale(scale, scale)
    scaled.add(drawing)
    return [KeepTogether([Spacer(1, 4), Paragraph("Figure 2. Covariate balance (Love plot)",
                                                  st["table"]), scaled, Paragraph(
        "Love plot: absolute standardized mean difference of each covariate before (open "
        "circles) and after (filled) matching; dashed line at 0.1.", st["note"])])]


def _canvas_maker(code: str, version: str, made: datetime) -> type[Canvas]:
    """A canvas that writes "Page x of y" once the number of pages is known, and dates
    the file when its report was generated (``invariant`` mode dated it 2000-01-01)."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []
            self._doc._timeStamp = _time_stamp(made)

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for state in self._saved:
                self.__dict__.update(state)
                self.setFont(FONT, 7)
                self.setFillColor(GREY)
                self.drawString(MARGIN, 9 * mm, f"Study {code} · data version {version[:12]}")
                self.drawRightString(A4[0] - MARGIN, 9 * mm,
                                     f"Page {self._pageNumber} of {len(self._saved)}")
                super().showPage()
            super().save()

    return NumberedCanvas


def _time_stamp(made: datetime) -> TimeStamp:
    """reportlab's time stamp of the file's CreationDate and ModDate, at ``made`` (UTC)."""
    stamp = TimeStamp(invariant=True)  # (UTC, no offset)
    moment = made.astimezone(UTC)
    stamp.t, stamp.lt = moment.timestamp(), moment.timetuple()
    stamp.YMDhms = tuple(moment.timetuple())[:6]
    return stamp


def pdf_bytes(report: Report) -> bytes:
    register_fonts()
    st = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=16 * mm, invariant=1,
                            title=f"Study report {report.study.code}", author="clinic")
    story: list[Any] = _title_page(report, st)
    for table in report.tables:
        if table.key == "appendix":
            story += _figure(report, st)
        story += _table_flowables(table, st)
        if table.key == "matching" and report.balance:
            story += _love_plot(report, st)
    doc.build(story, canvasmaker=_canvas_maker(report.study.code, report.stamp.data_version,
                                               report.stamp.generated_at))
    return buffer.getvalue()
