"""A real server (werkzeug, in a thread) on a SQLite file, and headless Chromium."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session
from werkzeug.serving import make_server

from clinic import create_app
from clinic.db import get_engine, upgrade_to_head
from tests.web.helpers import Clinic, build_clinic

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclass
class LiveClinic:
    url: str
    clinic: Clinic
    app: Flask


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveClinic]:
    path = Path(tmp_path_factory.mktemp("browser")) / "clinic.db"
    config = {"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "browser-test-key",
              "TIMEZONE": "Europe/Berlin", "CHECK_SCHEMA": False,
              "SESSION_COOKIE_SECURE": False}
    app = create_app(config)
    upgrade_to_head(app)
    with Session(get_engine(app), expire_on_commit=False) as session:
        clinic = build_clinic(app, session)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveClinic(f"http://127.0.0.1:{server.server_port}", clinic, app)
    server.shutdown()
    get_engine(app).dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    # scripts/test.sh installs both; outside CI a machine without them skips, in CI it fails.
    if os.environ.get("CI"):
        import playwright.sync_api as playwright_api
        assert Path(CHROMIUM).exists(), "CI needs Debian's chromium at /usr/bin/chromium"
    else:
        playwright_api = pytest.importorskip("playwright.sync_api")
        if not Path(CHROMIUM).exists():
            pytest.skip("no Chromium at /usr/bin/chromium")
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900},  # type: ignore[attr-defined]
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def a_pain_score(live: LiveClinic) -> None:
    """A VAS on record (a fluoroscopy patient's), so that the cohort view draws its chart
    whichever tests ran before, in this worker or another."""
    from sqlmodel import select

    from clinic.audit import set_actor
    from clinic.followup.service import record_follow_up
    from clinic.models import Assessment
    from tests.factories import make_patient, make_procedure

    with Session(get_engine(live.app), expire_on_commit=False) as session:
        patient, _ = make_patient(session, live.clinic.study, site=live.clinic.north,
                                  study_code="CHART-001")
        make_procedure(session, patient)
        visit = session.exec(select(Assessment).where(Assessment.patient_id == patient.id,
                                                      Assessment.state == "pending")
                             .order_by(Assessment.target_date)).first()
        set_actor(session, live.clinic.users["nurse"].id, None)
        record_follow_up(session, assessment=visit, entries={"vas": 5}, mode="phone",
                         actor_id=live.clinic.users["nurse"].id)
        session.commit()
