"""Template filters and globals shared by every page."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from clinic import catalog


def clinic_today() -> date:
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def local_time(value: datetime | None) -> str:
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def child_row_summary(snapshot: str | None) -> str:
    """'L5 left' or 'Dexamethasone 10 mg' from a target's or injectate's audit snapshot."""
    try:
        row = json.loads(snapshot or "")
    except ValueError:
        return ""
    if not isinstance(row, dict):
        return ""
    if "level" in row:
        return (f"{catalog.LEVELS.get(row['level'], row['level'])} "
                f"{catalog.SIDES.get(row.get('side'), row.get('side') or '').lower()}").strip()
    parts = [catalog.DRUGS.get(row.get("drug"), str(row.get("drug")))]
    for key, unit in (("concentration_pct", "%"), ("volume_ml", "mL"), ("dose_mg", "mg")):
        if row.get(key) is not None:
            parts.append(f"{row[key]:g} {unit}")
    return " ".join(parts)


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["child_row_summary"] = child_row_summary
    app.jinja_env.globals["catalog"] = catalog

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"clinic_today": clinic_today, "nav_links": nav_links}


NAV_LINKS: list[tuple[str, str, frozenset[str]]] = [
    ("web.home", "Studies", frozenset(catalog.ROLES)),
    ("worklist.index", "Worklist", frozenset({"nurse", "coordinator", "admin"})),
    ("patients.index", "Patients", frozenset(catalog.ROLES)),
    ("grid.index", "Status grid", frozenset(catalog.ROLES)),
    ("cohort.index", "Cohort", frozenset({"physician", "coordinator", "admin"})),
    ("reports.index", "Reports", frozenset({"physician", "coordinator", "admin"})),
    ("reminders.log", "Reminders", frozenset({"coordinator", "admin", "nurse"})),
    ("admin.users", "Admin", frozenset({"coordinator", "admin"})),
]


def nav_links() -> list[tuple[str, str, frozenset[str]]]:
    """Top navigation: (endpoint, label, roles that see it). Later pages append here."""
    return NAV_LINKS
