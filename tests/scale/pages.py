"""The pages and API lists whose size must not grow with the registry."""

from __future__ import annotations

from typing import Any

from tests.scale.conftest import Registry


def pages(r: Registry, study: str) -> list[tuple[str, str, dict[str, str] | None]]:
    """(who, URL, headers): who is "nurse", "physician" or "api"."""
    sid = r.study_ids[study]
    return [
        ("nurse", "/worklist", None),
        ("nurse", f"/worklist?study={sid}&sort=target", None),
        ("nurse", f"/worklist?study={sid}&dir=desc", None),
        ("physician", f"/grid?study={sid}", None),
        ("physician", f"/cohort?study={sid}", None),
        ("physician", "/patients", None),
        ("physician", "/patients?code=0", None),
        ("physician", f"/patients?study={study}", None),
        ("physician", f"/patients/{r.patient_id}", None),
        ("physician", "/", None),
        ("api", "/api/v1/patients", r.bearer),
        ("api", "/api/v1/patients?limit=20", r.bearer),
        ("api", f"/api/v1/patients?study={study}&limit=20", r.bearer),
        ("api", f"/api/v1/patients/{r.patient_id}/assessments", r.bearer),
        ("api", f"/api/v1/patients/{r.patient_id}/procedures", r.bearer),
        ("api", "/api/v1/studies", r.bearer),
    ]


def client_for(who: str, clients: dict[str, Any]) -> Any:
    return clients["physician" if who == "api" else who]
