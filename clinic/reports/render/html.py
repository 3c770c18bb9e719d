"""The report as a standalone HTML document (the web page includes the same body)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from clinic.reports.builder import Report, figure_title
from clinic.reports.figure import figure_svg
from clinic.reports.loveplot import love_plot_svg

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                   keep_trailing_newline=True)


def body_context(report: Report) -> dict[str, object]:
    """What ``reports/_body.html`` needs: the report and its figure as inline SVG."""
    love = Markup(love_plot_svg(report.balance)) if report.balance else None
    return {"report": report, "figure_svg": Markup(figure_svg(list(report.panels))),
            "figure_title": figure_title(report), "love_plot_svg": love}


def html_bytes(report: Report) -> bytes:
    page = _env.get_template("reports/document.html").render(**body_context(report))
    return page.encode("utf-8")
