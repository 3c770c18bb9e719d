"""Fonts and styles shared by the sheets (the report's DejaVu Sans, A4)."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm

from clinic.reports.render.fonts import BOLD, FONT, register_fonts

MARGIN = 14 * mm
WIDTH = A4[0] - 2 * MARGIN
GRID = colors.HexColor("#999999")


def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("sheet", fontName=FONT, fontSize=9, leading=11.5)
    return {
        "base": base,
        "title": ParagraphStyle("title", base, fontName=BOLD, fontSize=14, leading=18,
                                spaceAfter=4),
        "h2": ParagraphStyle("h2", base, fontName=BOLD, fontSize=10.5, leading=13,
                             spaceBefore=8, spaceAfter=3),
        "small": ParagraphStyle("small", base, fontSize=7.5, leading=9.5,
                                textColor=colors.HexColor("#555555")),
        "cell": ParagraphStyle("cell", base, fontSize=8, leading=10),
        "cellb": ParagraphStyle("cellb", base, fontName=BOLD, fontSize=8, leading=10),
        "cellr": ParagraphStyle("cellr", base, fontSize=8, leading=10, alignment=TA_RIGHT),
    }
