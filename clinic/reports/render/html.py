"""The report as a standalone HTML document (the web page includes the same body)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from clinic.reports.builder import FIGURE_TITLE, Report
from clinic.reports.figure import figure_svg

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                   keep_trailing_newline=True)


def body_context(report: Report) -> dict[str, object]:
    """What ``reports/_body.html`` needs: the report and its figure as inline SVG."""
    return {"report": report, "figure_svg": Markup(figure_svg(list(report.panels))),
            "figure_title": FIGURE_TITLE}


def html_bytes(report: Report) -> bytes:
    page = _env.get_template("reports/document.html").render(**body_context(report))
    return page.encode("utf-8")
