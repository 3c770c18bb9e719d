"""The batch writer stores what the services store: the two demo databases compared whole.

The same demo (patients, seed, day) is seeded through the services, one patient at a
time (clinic.demo.writers.ServiceWriter), and through the batch writer
(clinic.demo.batch), the clock stopped so that every timestamp agrees; then every table
is read back and compared, every column of every row: the clinical rows with their ids,
the audit events as a whole (their ids and order aside: the audit seals them in id
order later), the tallies as the sums they stand for.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlmodel import SQLModel

from clinic import create_app
from clinic.db import get_engine, session_scope
from clinic.demo.seed import seed_demo

NOW = datetime(2026, 12, 3, 11, 30, tzinfo=UTC)
TODAY = date(2026, 12, 3)
# columns that differ between any two runs, whoever writes them
UNEQUAL = {"app_user": {"password_hash"}, "audit_event": {"id"},
           "identity_audit_event": {"id"}, "study": {"measures_revision"}}  # (random)
TALLIES = {"visit_tally", "enrollment_tally"}  # rows of +1 and -1: compared as sums


def _seed(app: Flask, through: str, patients: int, seed: int) -> dict[str, Any]:
    with time_machine.travel(NOW, tick=False), app.app_context(), \
            session_scope(app) as session:
        seed_demo(session, patients=patients, seed=seed, today=TODAY,
                  timezone=app.config["TIMEZONE"], through=through)
    return _dump(app)


def _dump(app: Flask) -> dict[str, Any]:
    found: dict[str, Any] = {}
    with get_engine(app).connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            skipped = UNEQUAL.get(table.name, set())
            columns = [c for c in table.columns if c.name not in skipped]
            rows = connection.execute(select(*columns)).all()
            if table.name in TALLIES:
                found[table.name] = _sums(rows, [c.name for c in columns])
            else:
                found[table.name] = Counter(tuple(map(_hashable, row)) for row in rows)
    return found


def _hashable(value: Any) -> Any:
    """A JSON column's list or dict, as its JSON text."""
    return json.dumps(value, sort_keys=True) if isinstance(value, list | dict) else value


def _sums(rows: list[Any], names: list[str]) -> dict[tuple[Any, ...], int]:
    sums: Counter[tuple[Any, ...]] = Counter()
    for row in rows:
        values = dict(zip(names, row, strict=True))
        sums[tuple(v for k, v in values.items() if k not in ("id", "n"))] += values["n"]
    return {key: n for key, n in sums.items() if n}


def _second_app(app: Flask, test_database: Any, tmp_path: Any) -> Flask:
    get_engine(app).dispose()
    folder = tmp_path / "second"
    folder.mkdir()
    url = test_database.fresh_url(folder)
    keep = ("TESTING", "SECRET_KEY", "TIMEZONE", "WTF_CSRF_ENABLED")
    return create_app({**{k: app.config[k] for k in keep}, "DATABASE_URL": url})


@pytest.mark.parametrize(("patients", "seed", "chunk"), [(40, 2, 1_000), (40, 10, 7)])
def test_batch_writer_stores_what_the_services_store(app, test_database, tmp_path,
                                                     monkeypatch, patients, seed, chunk):
    """Seeds chosen for the rarer paths (a withdrawal, a complication); ``chunk``: the
    patients the batch writer holds before it stores them (7: six times in 40)."""
    monkeypatch.setattr("clinic.demo.batch.CHUNK", chunk)
    services = _seed(app, "services", patients, seed)
    other = _second_app(app, test_database, tmp_path)
    try:
        batch = _seed(other, "batch", patients, seed)
    finally:
        get_engine(other).dispose()
    for name in services:
        assert batch[name] == services[name], _difference(name, services[name], batch[name])
    # the cases the comparison covers (each writer's rarer paths)
    assert _count(services, "adverse_event") and _count(services, "reminder")
    assert _count(services, "self_report_message")
    enrollments = Counter(row[_index("enrollment", "status")] for row in services["enrollment"])
    assert enrollments["withdrawn"], enrollments
    states = Counter(row[_index("assessment", "state")] for row in services["assessment"])
    assert states["completed"] and states["not_done"] and states["pending"], states


def _count(dump: dict[str, Any], table: str) -> int:
    return sum(dump[table].values())


def _index(table: str, column: str) -> int:
    return [c.name for c in SQLModel.metadata.tables[table].columns].index(column)


def _difference(name: str, services: Any, batch: Any) -> str:
    if isinstance(services, dict) and not isinstance(services, Counter):
        services, batch = Counter(services), Counter(batch)
    only_services = list((services - batch).elements())[:5]
    only_batch = list((batch - services).elements())[:5]
    return (f"{name}: {sum(services.values())} rows through the services, "
            f"{sum(batch.values())} in batch; only through the services: {only_services}; "
            f"only in batch: {only_batch}")
