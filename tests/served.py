"""The app served by a real gunicorn on a free loopback port, from the checkout (so with
its gunicorn.conf.py), on the test's database: for the probes that need the server
production runs, not the test client."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int, deadline: float = 60) -> None:
    """Until a worker answers (the master listens before its workers have imported the
    app, which takes seconds on a busy machine)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                pass
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=20):
                return
        except (OSError, urllib.error.URLError, http.client.HTTPException):
            time.sleep(0.2)
    raise TimeoutError("gunicorn did not start")


@contextmanager
def gunicorn(app: Flask, log: Path, *options: str) -> Iterator[tuple[subprocess.Popen, int]]:
    """``gunicorn <options> wsgi:app`` started in the checkout on the app's database, its
    errors written to ``log``: the server and its port, once a worker answers; stopped
    (SIGTERM) afterwards."""
    port = free_port()
    env = {**os.environ, "CLINIC_DATABASE_URL": app.config["DATABASE_URL"],
           "CLINIC_SECRET_KEY": "probe-secret", "CLINIC_TIMEZONE": "Europe/Berlin"}
    with log.open("wb") as errors:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), *options,
             "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "1", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            wait_for(port)
            yield server, port
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
