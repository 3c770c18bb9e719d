"""The server-drawn SVG charts: a wide layout for screens, a narrow one for phones (the
legend under the plot, long visit names tilted), both escaped."""

from __future__ import annotations

import re

from clinic.web.charts import NARROW, WIDE, Series, fitted_chart, line_chart

LABELS = ["Baseline", "1 month", "3 months", "6 months"]
SERIES = [Series("Group A: fluoroscopy-guided", [7, 4, None, 3]),
          Series("Group B: CT-guided", [7, 5, 3, 2])]


def _chart(layout, labels=LABELS) -> str:
    return str(line_chart(labels, SERIES, y_max=10, y_label="median VAS",
                          title="Median <VAS>", layout=layout))


def _view_box(svg: str) -> tuple[int, int]:
    width, height = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups()  # type: ignore[union-attr]
    return int(width), int(height)


def test_a_fitted_chart_is_drawn_in_both_layouts():
    both = str(fitted_chart(LABELS, SERIES, y_max=10, y_label="median VAS", title="t"))
    assert both.count("<svg") == 2
    assert 'class="chart chart-wide"' in both and 'class="chart chart-narrow"' in both


def test_the_narrow_chart_has_its_legend_under_the_plot_and_fits_its_view_box():
    svg = _chart(NARROW)
    width, height = _view_box(svg)
    assert width == NARROW.width < WIDE.width
    legend = re.search(r'<text x="(\d+)" y="([\d.]+)">Group B: CT-guided</text>', svg)
    assert legend is not None
    assert NARROW.top + NARROW.plot_height < float(legend.group(2)) <= height
    assert "&lt;VAS&gt;" in svg and "<VAS>" not in svg


def test_long_visit_names_are_tilted_and_cut_on_a_phone_only():
    names = [f"Follow-up visit at month {n} after the index procedure" for n in range(1, 5)]
    narrow, wide = _chart(NARROW, names), _chart(WIDE, names)
    assert "rotate(-40" in narrow and "Follow-up visit…" in narrow
    assert "rotate(-40" not in wide and names[0] in wide
    assert "rotate(-40" not in _chart(NARROW), "short names stay level"
    assert _view_box(narrow)[1] > _view_box(_chart(NARROW))[1], "room for the tilt"


def test_the_narrow_charts_first_and_last_labels_stay_inside_it():
    """Each level label is centred on its point: the margins make room for the first
    and last; a tilted first label reaches left from its point."""
    for labels in (LABELS, ["Baseline", "at twelve months"], [f"Visit number {n}" for n in
                                                              range(8)]):
        found = [(float(x), anchor, text) for x, anchor, text in re.findall(
            r'<text x="([\d.]+)" y="[\d.]+" text-anchor="(middle|end)"[^>]*>([^<]+)</text>',
            _chart(NARROW, labels)) if text in labels or text.endswith("…")]
        assert len(found) == len(labels)
        for x, anchor, text in found:
            reach = len(text) * NARROW.font * 0.6
            low, high = ((x - reach / 2, x + reach / 2) if anchor == "middle"
                         else (x - reach * 0.766, x))
            assert low >= 0 and high <= NARROW.width, (text, low, high)
