"""The Love plot of a matching: each covariate's |SMD| before (open circle) and after
(filled) matching, with the 0.1 target line (reportlab vector drawing, for PDF and SVG)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Circle, Drawing, Line, String
from reportlab.lib import colors

from clinic.reports.render.fonts import font_for
from clinic.stats.matching import BALANCE_TARGET, BalanceRow

WIDTH, ROW, TOP, LEFT, RIGHT, BOTTOM = 460, 18, 26, 170, 20, 34
BEFORE, AFTER = colors.HexColor("#C0504D"), colors.HexColor("#1F5F9E")


def love_plot(rows: Sequence[BalanceRow], font: str = "Helvetica") -> Drawing:
    height = TOP + BOTTOM + ROW * len(rows)
    d = Drawing(WIDTH, height)
    values = [abs(v) for r in rows for v in (r.smd_before, r.smd_after) if v is not None]
    top = max([BALANCE_TARGET * 2, *values]) * 1.1
    span = WIDTH - LEFT - RIGHT

    def x(v: float) -> float:
        return LEFT + span * min(abs(v), top) / top

    d.add(Line(LEFT, BOTTOM - 4, LEFT, height - TOP + 6, strokeColor=colors.black,
               strokeWidth=0.6))
    target = x(BALANCE_TARGET)
    d.add(Line(target, BOTTOM - 4, target, height - TOP + 6, strokeColor=colors.grey,
               strokeDashArray=[3, 2], strokeWidth=0.6))
    d.add(String(target + 3, BOTTOM - 2, f"{BALANCE_TARGET}", fontName=font,
                 fontSize=6.5, fillColor=colors.grey))
    for i, row in enumerate(rows):
        y = height - TOP - ROW * (i + 0.5)
        d.add(String(LEFT - 6, y - 3, row.covariate[:32],
                     fontName=font_for(row.covariate[:32], font), fontSize=8,
                     textAnchor="end"))
        if row.smd_before is not None:
            d.add(Circle(x(row.smd_before), y, 3.2, strokeColor=BEFORE, fillColor=None,
                         strokeWidth=1.2))
        if row.smd_after is not None:
            d.add(Circle(x(row.smd_after), y, 3.2, strokeColor=AFTER, fillColor=AFTER))
    for k in range(5):
        v = top * k / 4
        d.add(String(x(v), BOTTOM - 14, f"{v:.2f}", fontName=font, fontSize=7,
                     textAnchor="middle"))
    d.add(String(LEFT + span / 2, 6, "absolute standardized mean difference", fontName=font,
                 fontSize=8, textAnchor="middle"))
    d.add(Circle(LEFT + 8, height - 10, 3.2, strokeColor=BEFORE, fillColor=None))
    d.add(String(LEFT + 15, height - 13, "before matching", fontName=font, fontSize=7.5))
    d.add(Circle(LEFT + 110, height - 10, 3.2, strokeColor=AFTER, fillColor=AFTER))
    d.add(String(LEFT + 117, height - 13, "after matching", fontName=font, fontSize=7.5))
    return d


def love_plot_svg(rows: Sequence[BalanceRow]) -> str:
    svg = renderSVG.drawToString(love_plot(rows))
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'width="[0-9.]+"', 'width="100%" style="max-width:40rem"', svg, count=1)
    return re.sub(r'height="[0-9.]+"', "", svg, count=1)
