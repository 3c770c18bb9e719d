"""Small server-side SVG line charts (no JavaScript, no external library).

``line_chart`` draws one line per series over categorical x positions (timepoints);
``None`` values leave a gap. Text is escaped; the result is safe to embed in a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = ("#1f5f9e", "#d1495b", "#3c9d5d", "#ee964b", "#6a4c93", "#2a9d8f")
WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 220, 16, 40


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _x(i: int, n: int) -> float:
    inner = WIDTH - LEFT - RIGHT
    return LEFT + (inner * i / (n - 1) if n > 1 else inner / 2)


def _y(value: float, y_max: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / y_max)


def _axes(labels: Sequence[str], y_max: float, y_label: str) -> list[str]:
    parts = []
    for k in range(5):
        v = y_max * k / 4
        y = _y(v, y_max)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'class="gridline"/><text x="{LEFT - 6}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{v:g}</text>')
    for i, label in enumerate(labels):
        parts.append(f'<text x="{_x(i, len(labels)):.1f}" y="{HEIGHT - BOTTOM + 18}" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts.append(f'<text x="12" y="{TOP + (HEIGHT - TOP - BOTTOM) / 2:.0f}" text-anchor="middle" '
                 f'transform="rotate(-90 12 {TOP + (HEIGHT - TOP - BOTTOM) / 2:.0f})">'
                 f'{escape(y_label)}</text>')
    return parts


def _line(series: Series, colour: str, n: int, y_max: float) -> list[str]:
    parts, segment = [], []
    points = [(i, v) for i, v in enumerate(series.values)]
    for i, v in points + [(n, None)]:
        if v is None:
            if len(segment) > 1:
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" '
                             f'points="{" ".join(segment)}"/>')
            segment = []
            continue
        x, y = _x(i, n), _y(v, y_max)
        segment.append(f"{x:.1f},{y:.1f}")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                     f'<title>{escape(series.name)}: {v:g}</title></circle>')
    return parts


def _legend(series: Sequence[Series]) -> list[str]:
    parts = []
    for k, s in enumerate(series):
        y = TOP + 8 + 20 * k
        colour = PALETTE[k % len(PALETTE)]
        parts.append(f'<rect x="{WIDTH - RIGHT + 14}" y="{y - 9}" width="14" height="4" '
                     f'fill="{colour}"/><text x="{WIDTH - RIGHT + 34}" y="{y - 3}">'
                     f'{escape(s.name[:32])}</text>')
    return parts


def line_chart(labels: Sequence[str], series: Sequence[Series], *, y_max: float,
               y_label: str, title: str) -> Markup:
    """An accessible SVG (role="img" with a title) of ``series`` over ``labels``."""
    n = len(labels)
    body = _axes(labels, y_max, y_label)
    for k, s in enumerate(series):
        body += _line(s, PALETTE[k % len(PALETTE)], n, y_max)
    body += _legend(series)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f'<title>{escape(title)}</title>{"".join(body)}</svg>')
