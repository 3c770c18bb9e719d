"""Small server-side SVG line charts (no JavaScript, no external library).

``line_chart`` draws one line per series over categorical x positions (timepoints);
``None`` values leave a gap. Text is escaped; the result is safe to embed in a page.
A chart is drawn in a ``Layout``: ``WIDE`` (the legend at the right) for a screen,
``NARROW`` (the legend under the plot, a larger type) for a phone; ``fitted_chart``
gives both, and the stylesheet shows the one that fits: each scales to its box's width,
so nothing scrolls sideways and the text stays legible (shrunk to a phone, the wide
one's text was 5 px).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = ("#1f5f9e", "#d1495b", "#3c9d5d", "#ee964b", "#6a4c93", "#2a9d8f")
CHAR_WIDTH = 0.6  # a character's width in font sizes, generous (the room a label takes)
TILT = 40  # degrees: narrow x labels too long to stand side by side are tilted this much
LABEL_CHARS = 16  # a tilted label is cut after this many characters


@dataclass(frozen=True)
class Layout:
    """A chart's geometry in SVG units. ``font`` is the type size the stylesheet gives
    ``svg.<name>`` (clinic/static: 11 wide, 13 narrow); a narrow layout widens its
    margins for the first and last x labels and puts the legend under the plot."""

    name: str
    width: int
    plot_height: int
    left: int
    right: int
    top: int
    font: int
    narrow: bool


WIDE = Layout("chart-wide", width=760, plot_height=224, left=48, right=220, top=16, font=11,
              narrow=False)
NARROW = Layout("chart-narrow", width=360, plot_height=190, left=44, right=12, top=14,
                font=13, narrow=True)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Frame:
    """A layout fitted to its x labels: the plot's margins, the labels as shown."""

    layout: Layout
    left: float
    right: float
    labels: tuple[str, ...]
    tilted: bool

    @property
    def bottom(self) -> float:
        return self.layout.top + self.layout.plot_height

    @property
    def label_band(self) -> float:
        """The height under the plot that the x labels take."""
        font = self.layout.font
        if not self.tilted:
            return 2 * font + 18
        longest = max(_text_width(self.layout, label) for label in self.labels)
        return longest * math.sin(math.radians(TILT)) + font + 14


def _text_width(layout: Layout, text: str) -> float:
    return len(text) * layout.font * CHAR_WIDTH


def _frame(layout: Layout, labels: Sequence[str]) -> Frame:
    """Level labels where they fit side by side, else tilted and cut (narrow only), with
    margins that keep the first and last inside the chart."""
    if not layout.narrow or not labels:
        return Frame(layout, layout.left, layout.right, tuple(labels), False)
    first, last = (_text_width(layout, labels[i]) / 2 + 4 for i in (0, -1))
    left, right = max(layout.left, first), max(layout.right, last)
    room = (layout.width - left - right) / max(len(labels) - 1, 1)
    if max(_text_width(layout, label) for label in labels) <= room - 4:
        return Frame(layout, left, right, tuple(labels), False)
    shown = tuple(label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS].rstrip() + "…"
                  for label in labels)
    reach = _text_width(layout, shown[0]) * math.cos(math.radians(TILT)) + 4
    return Frame(layout, max(layout.left, reach), layout.right, shown, True)


def _x(frame: Frame, i: int, n: int) -> float:
    inner = frame.layout.width - frame.left - frame.right
    return frame.left + (inner * i / (n - 1) if n > 1 else inner / 2)


def _y(layout: Layout, value: float, y_max: float) -> float:
    return layout.top + layout.plot_height * (1 - value / y_max)


def _x_labels(frame: Frame) -> list[str]:
    y, n = frame.bottom + frame.layout.font + 7, len(frame.labels)
    if not frame.tilted:
        return [f'<text x="{_x(frame, i, n):.1f}" y="{y}" text-anchor="middle">'
                f'{escape(label)}</text>' for i, label in enumerate(frame.labels)]
    return [f'<text x="{_x(frame, i, n):.1f}" y="{y}" text-anchor="end" transform="rotate('
            f'-{TILT} {_x(frame, i, n):.1f} {y})">{escape(label)}</text>'
            for i, label in enumerate(frame.labels)]


def _axes(frame: Frame, y_max: float, y_label: str) -> list[str]:
    layout, parts = frame.layout, []
    for k in range(5):
        v = y_max * k / 4
        y = _y(layout, v, y_max)
        parts.append(f'<line x1="{frame.left:.1f}" x2="{layout.width - frame.right:.1f}" '
                     f'y1="{y:.1f}" y2="{y:.1f}" class="gridline"/><text '
                     f'x="{frame.left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">{v:g}</text>')
    parts += _x_labels(frame)
    middle = layout.top + layout.plot_height / 2
    parts.append(f'<text x="12" y="{middle:.0f}" text-anchor="middle" '
                 f'transform="rotate(-90 12 {middle:.0f})">{escape(y_label)}</text>')
    return parts


def _line(frame: Frame, series: Series, colour: str, y_max: float) -> list[str]:
    parts, segment = [], []
    n = len(frame.labels)
    points = [(i, v) for i, v in enumerate(series.values)]
    for i, v in points + [(n, None)]:
        if v is None:
            if len(segment) > 1:
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" '
                             f'points="{" ".join(segment)}"/>')
            segment = []
            continue
        x, y = _x(frame, i, n), _y(frame.layout, v, y_max)
        segment.append(f"{x:.1f},{y:.1f}")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                     f'<title>{escape(series.name)}: {v:g}</title></circle>')
    return parts


def _legend(frame: Frame, series: Sequence[Series]) -> list[str]:
    """A swatch and a name per series: beside the plot, or under the x labels."""
    layout = frame.layout
    if layout.narrow:
        x, top = 14.0, frame.bottom + frame.label_band
    else:
        x, top = layout.width - layout.right + 14.0, layout.top - 12.0
    parts = []
    for k, s in enumerate(series):
        y = top + (layout.font + 8) * (k + 1)
        colour = PALETTE[k % len(PALETTE)]
        parts.append(f'<rect x="{x:.0f}" y="{y - layout.font / 2 - 3:.1f}" width="14" '
                     f'height="4" fill="{colour}"/><text x="{x + 20:.0f}" y="{y:.1f}">'
                     f'{escape(s.name[:32])}</text>')
    return parts


def _height(frame: Frame, series: Sequence[Series]) -> int:
    height = frame.bottom + frame.label_band
    if frame.layout.narrow:
        height += 6 + (frame.layout.font + 8) * len(series)
    return math.ceil(height)


def line_chart(labels: Sequence[str], series: Sequence[Series], *, y_max: float,
               y_label: str, title: str, layout: Layout = WIDE) -> Markup:
    """An accessible SVG (role="img" with a title) of ``series`` over ``labels``."""
    frame = _frame(layout, labels)
    body = _axes(frame, y_max, y_label)
    for k, s in enumerate(series):
        body += _line(frame, s, PALETTE[k % len(PALETTE)], y_max)
    body += _legend(frame, series)
    return Markup(
        f'<svg class="chart {layout.name}" viewBox="0 0 {layout.width} '
        f'{_height(frame, series)}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'{"".join(body)}</svg>')


def fitted_chart(labels: Sequence[str], series: Sequence[Series], *, y_max: float,
                 y_label: str, title: str) -> Markup:
    """The chart in both layouts: the stylesheet shows the narrow one on a phone."""
    return Markup("").join(line_chart(labels, series, y_max=y_max, y_label=y_label,
                                      title=title, layout=layout) for layout in (WIDE, NARROW))
