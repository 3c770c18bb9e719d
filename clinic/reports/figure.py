"""Figure: each outcome over time by arm, median with an IQR band (vector graphics).

Drawn once with reportlab's own graphics, so the PDF embeds true vector graphics
and the HTML shows the same drawing rendered as SVG (``renderSVG``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from clinic.reports.render.fonts import font_for

Point = tuple[float, float, float, int] | None  # median, q1, q3, n
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
DASHES: tuple[list[float] | None, ...] = (None, [4, 2], [1, 2], [6, 2, 1, 2])
WIDTH, PANEL_H, LEGEND_H = 500.0, 190.0, 26.0
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 38.0, 12.0, 20.0, 30.0


@dataclass(frozen=True)
class Series:
    label: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Panel:
    title: str
    timepoints: tuple[str, ...]
    series: tuple[Series, ...]
    y_max: float | None = None  # the instrument's maximum, if it has one


def _step(top: float) -> float:
    """A round tick step (1, 2, 2.5 or 5 × 10^k) giving at most 6 intervals up to ``top``."""
    magnitude = 10 ** math.floor(math.log10(max(top, 1e-9) / 5))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if top / (m * magnitude) <= 6)


def _nice_max(panel: Panel) -> float:
    top = max((p[2] for s in panel.series for p in s.points if p), default=1.0)
    if panel.y_max is not None and top > panel.y_max / 2:
        return float(panel.y_max)
    step = _step(top * 1.05)
    return math.ceil(top * 1.05 / step) * step


def _ticks(top: float) -> list[float]:
    step = _step(top)
    return [round(i * step, 6) for i in range(int(round(top / step)) + 1)]


def _axes(g: Group, panel: Panel, box: tuple[float, float, float, float], top: float,
          font: str) -> None:
    x0, y0, w, h = box
    g.add(Line(x0, y0, x0 + w, y0, strokeWidth=0.6))
    g.add(Line(x0, y0, x0, y0 + h, strokeWidth=0.6))
    for t in _ticks(top):
        y = y0 + h * t / top
        g.add(Line(x0 - 3, y, x0, y, strokeWidth=0.5))
        g.add(Line(x0, y, x0 + w, y, strokeWidth=0.25, strokeColor=colors.HexColor("#DDDDDD")))
        g.add(String(x0 - 5, y - 2.5, f"{t:g}", fontName=font, fontSize=7, textAnchor="end"))
    k = len(panel.timepoints)
    crowded = any(stringWidth(t, font_for(t, font), 7) > 0.9 * w / k for t in panel.timepoints)
    for i, label in enumerate(panel.timepoints):
        x = _x(i, k, x0, w)
        g.add(Line(x, y0, x, y0 - 3, strokeWidth=0.5))
        lines = label.split(" ", 1) if crowded else [label]
        for j, text in enumerate(lines):
            g.add(String(x, y0 - 12 - 8 * j, text, fontName=font_for(text, font), fontSize=7,
                         textAnchor="middle"))
    g.add(String(x0 + w / 2, y0 + h + 8, panel.title, fontName=font_for(panel.title, font),
                 fontSize=8.5, textAnchor="middle"))


def _x(i: int, k: int, x0: float, w: float) -> float:
    return x0 + w * (i + 0.5) / k


def _runs(points: tuple[Point, ...]) -> list[list[int]]:
    """Consecutive indices with a value (the line breaks where nothing was recorded)."""
    runs: list[list[int]] = [[]]
    for i, p in enumerate(points):
        if p is None:
            runs.append([])
        else:
            runs[-1].append(i)
    return [r for r in runs if r]


def _series(g: Group, s: Series, index: int, count: int,
            box: tuple[float, float, float, float], top: float) -> None:
    x0, y0, w, h = box
    k = len(s.points)
    color = colors.HexColor(PALETTE[index % len(PALETTE)])
    band = colors.Color(color.red, color.green, color.blue, alpha=0.16)
    shift = (index - (count - 1) / 2) * min(5.0, w / k / 10)

    def xy(i: int, value: float) -> tuple[float, float]:
        return _x(i, k, x0, w) + shift, y0 + h * min(value, top) / top

    for run in _runs(s.points):
        pts = [s.points[i] for i in run]
        upper = [c for i, p in zip(run, pts, strict=True) for c in xy(i, p[2])]  # type: ignore[index]
        lower = [c for i, p in reversed(list(zip(run, pts, strict=True)))
                 for c in xy(i, p[1])]  # type: ignore[index]
        if len(run) > 1:
            g.add(Polygon(upper + lower, fillColor=band, strokeColor=None))
        line = [c for i, p in zip(run, pts, strict=True) for c in xy(i, p[0])]  # type: ignore[index]
        g.add(PolyLine(line, strokeColor=color, strokeWidth=1.4,
                       strokeDashArray=DASHES[index % len(DASHES)]))
        for i, p in zip(run, pts, strict=True):
            mx, my = xy(i, p[0])  # type: ignore[index]
            _, lo = xy(i, p[1])  # type: ignore[index]
            _, hi = xy(i, p[2])  # type: ignore[index]
            g.add(Line(mx, lo, mx, hi, strokeColor=color, strokeWidth=0.6))
            g.add(Rect(mx - 1.8, my - 1.8, 3.6, 3.6, fillColor=color, strokeColor=None))


def _legend(d: Drawing, panels: list[Panel], font: str) -> None:
    labels = [s.label for s in panels[0].series] if panels else []
    x = MARGIN_L
    for i, label in enumerate(labels):
        color = colors.HexColor(PALETTE[i % len(PALETTE)])
        d.add(Rect(x, 10, 16, 7, fillColor=colors.Color(color.red, color.green, color.blue,
                                                         alpha=0.16), strokeColor=None))
        d.add(Line(x, 13.5, x + 16, 13.5, strokeColor=color, strokeWidth=1.4,
                   strokeDashArray=DASHES[i % len(DASHES)]))
        face = font_for(label, font)
        d.add(String(x + 20, 10.5, label, fontName=face, fontSize=7.5))
        x += 28 + (len(label) * 3.9 if face == font else stringWidth(label, face, 7.5))
    if x < WIDTH - MARGIN_R - 80:
        d.add(String(WIDTH - MARGIN_R, 10.5, "Median with IQR band", fontName=font,
                     fontSize=7, textAnchor="end", fillColor=colors.HexColor("#555555")))


def figure_drawing(panels: list[Panel], font: str = "Helvetica") -> Drawing:
    """Two panels per row; an empty panel list gives a drawing with a message."""
    rows = max(1, math.ceil(len(panels) / 2))
    height = rows * PANEL_H + LEGEND_H
    d = Drawing(WIDTH, height)
    if not panels:
        d.add(String(WIDTH / 2, height / 2, "No outcome recorded", fontName=font, fontSize=9,
                     textAnchor="middle"))
        return d
    cell_w = WIDTH / 2 if len(panels) > 1 else WIDTH
    for n, panel in enumerate(panels):
        col, row = n % 2, n // 2
        x0 = col * cell_w + MARGIN_L
        y0 = height - (row + 1) * PANEL_H + MARGIN_B
        box = (x0, y0, cell_w - MARGIN_L - MARGIN_R, PANEL_H - MARGIN_T - MARGIN_B)
        top = _nice_max(panel)
        g = Group()
        _axes(g, panel, box, top, font)
        for i, s in enumerate(panel.series):
            _series(g, s, i, len(panel.series), box, top)
        d.add(g)
    _legend(d, panels, font)
    return d


def figure_svg(panels: list[Panel], element_id: str = "figure") -> str:
    """The drawing as inline SVG text (no XML prolog; ids made unique for the page)."""
    svg = renderSVG.drawToString(figure_drawing(panels))
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'id="clip"', f'id="{element_id}-clip"', svg)
    svg = svg.replace("url(#clip)", f"url(#{element_id}-clip)")
    svg = re.sub(r'width="[0-9.]+"', 'width="100%" style="max-width:60rem"', svg, count=1)
    return re.sub(r'height="[0-9.]+"', "", svg, count=1)
