"""Benchmark: the registry's pages at 200, 20,000 and 200,000 patients (not a timed test).

    .venv/bin/python scripts/bench_scale.py [--patients 200 20000 200000]
        [--engines sqlite postgresql] [--requests 15] [--keep DIR]

For each engine and size it bulk-loads a SYNTHETIC study (clinic/demo/bulk.py: 6
timepoints per patient, ~8 scores per completed visit) into a fresh database (SQLite:
a file; PostgreSQL: a schema of its own on CLINIC_BENCH_DATABASE_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/test), logs in the demo nurse, the demo
physician and an API token, and requests each page single-client through the app's
WSGI stack in this process (routing, session, role and site checks, queries,
templates; no network and no gunicorn).

The machine is shared, so each page is timed beside an anchor in the same minute:
a bare Flask app's ``/hello`` route, requested alternately with the page (A, B, A, B …
``--requests`` times each). Printed per page: median and p99 of the page, the median of
the anchor, the ratio page/anchor (median and min of the per-pair ratios), and the
first view (for the cohort view: the analysis computed before it is cached). Goals
(issue "Registry scale"): every page <= 200 ms median at 200,000 patients, and within
10x of its time at 200 patients.

With --keep DIR the SQLite files are kept there and reused by a later run (seeding
200,000 patients takes minutes); PostgreSQL schemas are always dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clinic import create_app  # noqa: E402
from clinic.auth.tokens import create_token  # noqa: E402
from clinic.db import get_engine, upgrade_to_head  # noqa: E402
from clinic.demo.bulk import bulk_seed  # noqa: E402
from clinic.demo.staff import DEMO_PASSWORD, ensure_staff  # noqa: E402
from clinic.models import Patient, Study, StudyMonitor, User  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NURSE, PHYSICIAN = "nurse.north@demo.invalid", "physician@demo.invalid"
MONITOR = "monitor@demo.invalid"


def _bare_app() -> Flask:
    bare = Flask("anchor")
    bare.add_url_rule("/hello", "hello", lambda: "hello")
    return bare


def _database(engine: str, patients: int, keep: Path | None) -> tuple[str, bool, Any]:
    """(URL, already seeded, clean-up)."""
    if engine == "sqlite":
        folder = keep or Path(tempfile.mkdtemp())
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"scale_{patients}.db"
        return f"sqlite:///{path}", keep is not None and path.exists(), lambda: None
    base = os.environ.get("CLINIC_BENCH_DATABASE_URL", PG_DEFAULT)
    schema = f"bench_scale_{patients}_{os.getpid()}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return f"{base}?options=-csearch_path%3D{schema}", False, drop


def _prepare(url: str, patients: int, seeded: bool) -> tuple[Flask, dict[str, Any]]:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "CHECK_SCHEMA": False,
                      "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False})
    if not seeded:
        upgrade_to_head(app)
        started = time.perf_counter()
        with Session(get_engine(app)) as session:
            bulk_seed(session, patients, code="BENCH")
            session.commit()
        print(f"  bulk-loaded {patients:,} patients in {time.perf_counter() - started:.0f} s",
              flush=True)
        if url.startswith("postgresql"):
            with get_engine(app).begin() as connection:
                connection.execute(text("ANALYZE"))
    with Session(get_engine(app), expire_on_commit=False) as session:
        study = session.scalars(select(Study).where(Study.code == "BENCH")).one()
        nurse = session.scalars(select(User).where(User.email == NURSE)).one()
        physician = session.scalars(select(User).where(User.email == PHYSICIAN)).one()
        monitor = ensure_staff(session)[1][MONITOR]  # (a database kept from before it)
        if session.scalars(select(StudyMonitor).where(  # the monitor monitors BENCH
                StudyMonitor.user_id == monitor.id)).first() is None:
            session.add(StudyMonitor(user_id=monitor.id, study_id=study.id))
        patient = session.scalars(select(Patient).where(
            Patient.study_id == study.id, Patient.site_id == nurse.site_id)
            .order_by(Patient.id).limit(1)).one()
        _row, token = create_token(session, user=physician, days=1,  # (a kept database
                                   name=f"bench {time.time_ns()}")  # holds earlier ones)
        session.commit()
    return app, {"study": study.id, "patient": patient.id, "token": token}


def _client(app: Flask, email: str) -> Any:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.data[:300]
    return client


def pages(ids: dict[str, Any]) -> list[tuple[str, str, str]]:
    sid, pid = ids["study"], ids["patient"]
    return [
        ("worklist (nurse, today)", "nurse", "/worklist"),
        ("worklist sorted by target", "nurse", f"/worklist?study={sid}&sort=target"),
        ("status grid, first page", "physician", f"/grid?study={sid}"),
        ("cohort view", "physician", f"/cohort?study={sid}"),
        ("patients list", "physician", "/patients"),
        ("patients list, code search", "physician", "/patients?code=0001"),
        ("patient page", "physician", f"/patients/{pid}"),
        ("home page", "physician", "/"),
        ("API patients list", "api", "/api/v1/patients"),
        ("API a patient's assessments", "api", f"/api/v1/patients/{pid}/assessments"),
        # a monitor's reads carry the study criteria of clinic/studies/scope.py
        ("status grid, first page (monitor)", "monitor", f"/grid?study={sid}"),
        ("patients list (monitor)", "monitor", "/patients"),
        ("patient page (monitor)", "monitor", f"/patients/{pid}"),
        ("home page (monitor)", "monitor", "/"),
    ]


def _timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def measure(app: Flask, ids: dict[str, Any], requests: int) -> dict[str, dict[str, float]]:
    anchor = _bare_app().test_client()
    clients = {"nurse": _client(app, NURSE), "physician": _client(app, PHYSICIAN),
               "monitor": _client(app, MONITOR)}
    headers = {"Authorization": f"Bearer {ids['token']}"}
    results = {}
    for name, who, url in pages(ids):
        client = clients["physician" if who == "api" else who]
        extra = headers if who == "api" else None

        def page(client: Any = client, url: str = url, extra: Any = extra) -> Any:
            return client.get(url, headers=extra)

        first = _timed(page)  # the first view: first-use imports, the cohort's analysis
        pairs = [(_timed(lambda: anchor.get("/hello")), _timed(page)) for _ in range(requests)]
        a = [p[0] for p in pairs]
        b = [p[1] for p in pairs]
        ratios = [y / x for x, y in pairs]
        results[name] = {"median_ms": statistics.median(b) * 1000, "p99_ms": _p99(b) * 1000,
                         "anchor_ms": statistics.median(a) * 1000,
                         "ratio_median": statistics.median(ratios), "ratio_min": min(ratios),
                         "first_ms": first * 1000}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[200, 20_000, 200_000])
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql"])
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    table: dict[tuple[str, int], dict[str, dict[str, float]]] = {}
    for engine in args.engines:
        for n in args.patients:
            print(f"{engine}, {n:,} patients", flush=True)
            url, seeded, clean_up = _database(engine, n, args.keep)
            try:
                app, ids = _prepare(url, n, seeded)
                table[(engine, n)] = measure(app, ids, args.requests)
                get_engine(app).dispose()
            finally:
                clean_up()
            for name, r in table[(engine, n)].items():
                print(f"  {name:<30} median {r['median_ms']:8.1f} ms  p99 {r['p99_ms']:8.1f} ms"
                      f"  anchor {r['anchor_ms']:5.2f} ms  ratio {r['ratio_median']:7.0f}"
                      f" (min {r['ratio_min']:.0f})  first view {r['first_ms']:8.1f} ms",
                      flush=True)
    _summary(table, args.patients)


def _summary(table: dict[tuple[str, int], dict[str, dict[str, float]]],
             sizes: list[int]) -> None:
    smallest, largest = min(sizes), max(sizes)
    print(f"\nGoals at {largest:,} patients: median <= 200 ms and <= 10x the {smallest:,}-"
          "patient median")
    for (engine, n), rows in table.items():
        if n != largest:
            continue
        base = table.get((engine, smallest), {})
        for name, r in rows.items():
            growth = r["median_ms"] / base[name]["median_ms"] if name in base else float("nan")
            verdict = "PASS" if r["median_ms"] <= 200 and growth <= 10 else "FAIL"
            print(f"  {engine:<10} {name:<30} {r['median_ms']:8.1f} ms  x{growth:5.1f}  "
                  f"{verdict}")


if __name__ == "__main__":
    main()
