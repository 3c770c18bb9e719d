"""kill -9 of a gunicorn worker while clients write: every acknowledged write is in the
database, every change is audited, the database is intact (SQLite integrity_check), and
gunicorn replaces the worker. On SQLite and PostgreSQL."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from clinic.auth.tokens import create_token
from clinic.db import get_engine
from clinic.models import AuditEvent, Patient
from tests.served import gunicorn

pytestmark = pytest.mark.slow
CLIENTS, KILLS, DURATION = 8, 2, 12.0


def _workers(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _call(url: str, method: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode()
                                     if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_killing_a_worker_mid_write_loses_no_acknowledged_write(app, clinic, db, engine_kind,
                                                               tmp_path):
    with Session(get_engine(app)) as session:
        _row, token = create_token(session, user=clinic.users["coordinator"], name="probe")
        session.commit()
    with gunicorn(app, tmp_path / "gunicorn.log", "--workers", "2", "--threads", "4") as (
            server, port):
        url = f"http://127.0.0.1:{port}/api/v1/patients/{clinic.patient.id}"
        acknowledged: list[float] = []
        server_errors: list[int] = []
        lost_connections = [0]
        stop = threading.Event()
        lock = threading.Lock()

        def writer() -> None:
            while not stop.is_set():
                try:
                    status, current = _call(url, "GET", token)
                    if status != 200:
                        continue
                    value = (current["symptom_duration_months"] or 0) + 1
                    status, saved = _call(url, "PATCH", token, {
                        "version": current["version"], "reason": "kill probe",
                        "symptom_duration_months": value})
                except (OSError, urllib.error.URLError, ValueError, http.client.HTTPException):
                    with lock:
                        lost_connections[0] += 1  # the worker died under this request
                    continue
                with lock:
                    if status == 200:
                        acknowledged.append(saved["symptom_duration_months"])
                    elif status >= 500:
                        server_errors.append(status)

        threads = [threading.Thread(target=writer) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        killed = []
        for _ in range(KILLS):
            time.sleep(DURATION / (KILLS + 1))
            victim = _workers(server.pid)[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
        time.sleep(DURATION / (KILLS + 1))
        stop.set()
        for thread in threads:
            thread.join()
        respawned = _workers(server.pid)

    db.expire_all()
    patient = db.get(Patient, clinic.patient.id)
    events = db.exec(select(AuditEvent).where(
        AuditEvent.entity == "patient", AuditEvent.entity_id == clinic.patient.id,
        AuditEvent.field == "symptom_duration_months")).all()
    stored = {float(e.new_value) for e in events}
    assert len(acknowledged) > 20, "the loop wrote"
    assert set(acknowledged) <= stored, "every acknowledged write is in the database"
    assert patient.version - clinic.patient.version == len(events), "every change audited"
    assert patient.symptom_duration_months == max(stored)
    assert server_errors == []
    assert len(respawned) == 2 and not set(killed) & set(respawned)
    if engine_kind == "sqlite":
        with get_engine(app).connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    print(f"\nkill -9: {KILLS} workers killed, {len(acknowledged)} writes acknowledged, all "
          f"present and audited, {lost_connections[0]} requests cut off, 0 5xx ({engine_kind})")
