"""Hundreds of patients × 5 follow-ups (1,000 with SIM_PATIENTS=1000), day by day for
seven months against a real SMTP server: the ladder sends exactly what it should and
nothing after completion, not done, withdrawal, withdrawn consent or the window's close.

Each visit draws (seeded) how it ends: the patient answers by the link on a day of its
window, a nurse records it, it is marked not done, or nothing happens; some patients
withdraw, some withdraw their consent to self-report, some never gave it. The daily job
runs at 07:00 on every day a ladder step falls on (the days in between have nothing to
send: the job is not run, to keep the test short); events happen after the run, on run
days. A ladder message is expected when its day is inside the window and not after the
day its visit stopped (a message of that very day went out in the morning, before the
event).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest
import time_machine
from sqlalchemy import event
from sqlmodel import Session, col, select

from clinic.db import get_engine
from clinic.demo.protocol import DEMO_STUDY
from clinic.enrollment.inputs import IdentityInput
from clinic.enrollment.randomization import generate_allocation_sequence
from clinic.enrollment.service import withdraw
from clinic.followup.service import mark_not_done, record_follow_up
from clinic.models import (
    Assessment,
    Enrollment,
    Patient,
    PatientIdentity,
    SelfReportMessage,
    StudyTimepoint,
)
from clinic.patients.identity import update_identity
from clinic.reminders.delivery import run_once
from clinic.selfreport import service
from clinic.selfreport.ladder import LadderSpec, ladder
from clinic.studies.setup import create_study
from tests.factories import make_patient, make_procedure, make_site, make_user
from tests.selfreport.conftest import BERLIN, LINK

# 1,000 patients take about 4 (SQLite) and 6 (PostgreSQL) minutes here: run that with
# SIM_PATIENTS=1000; the suite runs 120 to stay within its time on two cores.
PATIENTS = int(os.environ.get("SIM_PATIENTS", "120"))
FIRST = date(2026, 1, 5)
PROCEDURE_DAYS = 6  # procedures spread over this many days
SPEC = LadderSpec((0, 3, 7), 10)
MESSAGE_ID = re.compile(r"<self-report-(\d+)@")


@dataclass
class Plan:
    """What will happen, drawn before the run; what is expected follows from it."""

    events: dict[date, list[tuple[str, int]]] = field(default_factory=dict)  # day -> (kind, id)
    stop: dict[int, date] = field(default_factory=dict)  # assessment -> day it stops
    withdrawn: dict[int, date] = field(default_factory=dict)  # patient -> day
    consented: set[int] = field(default_factory=set)  # patients who answer by link
    run_days: list[date] = field(default_factory=list)  # the days the daily job runs

    def add(self, day: date, kind: str, key: int) -> None:
        self.events.setdefault(day, []).append((kind, key))


def _build(session: Session, rng: np.random.Generator) -> tuple[list[Assessment], Plan]:
    study = create_study(session, replace(DEMO_STUDY, self_report=SPEC))
    generate_allocation_sequence(session, study, seed=3, slots_per_stratum=PATIENTS + 10)
    site = make_site(session)
    make_user(session, "nurse", site)
    plan = Plan()
    patient_events: list[tuple[int, str, date]] = []
    for i in range(PATIENTS):
        consent = bool(rng.random() < 0.9)
        patient, _ = make_patient(session, study, site=site, self_report=consent,
                                  consent=bool(rng.random() < 0.5),
                                  enrolled_on=FIRST - timedelta(days=3))
        day = FIRST + timedelta(days=int(rng.integers(0, PROCEDURE_DAYS)))
        make_procedure(session, patient, when=datetime.combine(day, time(9), tzinfo=UTC))
        if consent:
            plan.consented.add(patient.id)  # type: ignore[arg-type]
        if rng.random() < 0.05:
            patient_events.append((patient.id, "withdraw",  # type: ignore[arg-type]
                                   day + timedelta(days=int(rng.integers(1, 200)))))
        elif consent and rng.random() < 0.05:
            patient_events.append((patient.id, "no_consent",  # type: ignore[arg-type]
                                   day + timedelta(days=int(rng.integers(1, 200)))))
        if i % 200 == 199:
            session.commit()
    session.commit()
    follow_ups = list(session.exec(
        select(Assessment).join(StudyTimepoint, col(StudyTimepoint.id) == Assessment.timepoint_id)
        .where(col(StudyTimepoint.is_baseline).is_(False)).order_by(Assessment.id)))
    plan.run_days = sorted({day for a in follow_ups
                            for _, day in ladder(a.window_open, a.window_close, SPEC)})
    for a in follow_ups:
        _draw_visit(rng, a, plan)
    for patient_id, kind, day in patient_events:
        plan.add(_run_day_from(plan, day), kind, patient_id)
        if kind == "withdraw":
            plan.withdrawn[patient_id] = _run_day_from(plan, day)
    return follow_ups, plan


def _run_day_from(plan: Plan, day: date) -> date:
    return next((d for d in plan.run_days if d >= day), plan.run_days[-1])


def _draw_visit(rng: np.random.Generator, a: Assessment, plan: Plan) -> None:
    days = [d for d in plan.run_days if a.window_open <= d <= a.window_close]
    day = days[int(rng.integers(0, len(days)))]
    kind = rng.choice(["patient", "nurse", "not_done", "nothing"], p=[0.35, 0.2, 0.1, 0.35])
    if kind != "nothing":
        plan.add(day, str(kind), a.id)  # type: ignore[arg-type]


def _fast_commits(app) -> None:  # noqa: ANN001
    """PostgreSQL: commit without waiting for the WAL flush (durability after a server
    crash is not what this test is about; it keeps it within the suite's time)."""
    engine = get_engine(app)
    if engine.dialect.name != "postgresql":
        return
    engine.dispose()

    @event.listens_for(engine, "connect")
    def _no_wait(connection, _record) -> None:  # noqa: ANN001
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
        connection.commit()


@pytest.mark.slow
def test_every_patient_gets_exactly_their_ladder(mail_app, smtp, session):
    _fast_commits(mail_app)
    session.close()
    rng = np.random.default_rng(20261203)
    with time_machine.travel(datetime(2026, 1, 2, 10, tzinfo=BERLIN)):
        visits, plan = _build(session, rng)
    by_id = {a.id: a for a in visits}
    tokens: dict[int, str] = {}  # assessment -> the latest link the patient received
    seen = 0
    stopped: dict[int, date] = {}
    for day in plan.run_days:
        with time_machine.travel(datetime.combine(day, time(7), tzinfo=BERLIN), tick=False):
            run_once(mail_app)
        seen = _collect_links(session, smtp, seen, tokens)
        with time_machine.travel(datetime.combine(day, time(18), tzinfo=BERLIN), tick=False):
            for kind, key in plan.events.get(day, []):
                _happen(session, kind, key, day, tokens, by_id, stopped, plan)
    _check(session, smtp, visits, plan, stopped)


def _collect_links(session: Session, smtp, seen: int, tokens: dict[int, str]) -> int:
    with smtp.handler.lock:
        new = smtp.handler.messages[seen:]
    for mail in new:
        found = MESSAGE_ID.search(mail["Message-ID"] or "")
        if found:
            row = session.get(SelfReportMessage, int(found.group(1)))
            tokens[row.assessment_id] = LINK.search(mail.get_content()).group(1)  # type: ignore[union-attr]
    return seen + len(new)


def _happen(session: Session, kind: str, key: int, day: date, tokens: dict[int, str],
            by_id: dict[int, Assessment], stopped: dict[int, date], plan: Plan) -> None:
    if kind in ("withdraw", "no_consent"):
        _patient_event(session, kind, key)
        for a in by_id.values():
            if a.patient_id == key:
                stopped.setdefault(a.id, day)  # type: ignore[arg-type]
        return
    a = session.get(Assessment, key)
    session.refresh(a)
    if a is None or a.state != "pending":
        return
    if kind == "patient":
        if key not in tokens:
            return  # never invited (no consent, or withdrew it): nothing to answer
        link = service.resolve(session, tokens[key], day)
        if not link.works:
            return
        report = service.report_of(session, link)
        service.save_answer(session, link, report, "vas", "3", datetime.now(UTC))
        service.submit(session, link, report, datetime.now(UTC), day)
    elif kind == "nurse":
        record_follow_up(session, assessment=a, entries={"vas": 4}, mode="phone", actor_id=None)
    else:
        mark_not_done(session, assessment=a, reason="patient unreachable", actor_id=None)
    session.commit()
    stopped.setdefault(key, day)


def _patient_event(session: Session, kind: str, patient_id: int) -> None:
    if kind == "withdraw":
        enrollment = session.exec(select(Enrollment).where(
            Enrollment.patient_id == patient_id)).one()
        withdraw(session, enrollment=enrollment, reason="withdrew consent", actor_id=None)
    else:
        identity = session.exec(select(PatientIdentity).where(
            PatientIdentity.patient_id == patient_id)).one()
        patient = session.get(Patient, patient_id)
        update_identity(session, patient=patient, read_version=identity.version,  # type: ignore[arg-type]
                        reason="no more e-mails, please",
                        data=IdentityInput(name=identity.name, email=identity.email,
                                           phone=identity.phone, self_report_consent=False,
                                           reminder_consent=identity.reminder_consent))
    session.commit()


def _check(session: Session, smtp, visits: list[Assessment], plan: Plan,
           stopped: dict[int, date]) -> None:
    sent: list[tuple[int, int, date]] = []
    for mail in smtp.handler.messages:
        found = MESSAGE_ID.search(mail["Message-ID"] or "")
        if found:
            row = session.get(SelfReportMessage, int(found.group(1)))
            assert row is not None and row.sent_at is not None
            sent.append((row.assessment_id, row.step,
                         row.sent_at.astimezone(BERLIN).date()))
    expected: set[tuple[int, int, date]] = set()
    late = 0
    for a in visits:
        stop = stopped.get(a.id)  # type: ignore[arg-type]
        consented = a.patient_id in plan.consented
        for step, day in ladder(a.window_open, a.window_close, SPEC):
            if consented and (stop is None or day <= stop):
                expected.add((a.id, step, day))  # type: ignore[arg-type]
    by_id = {a.id: a for a in visits}
    for assessment_id, _step, day in sent:
        stop = stopped.get(assessment_id)
        a = by_id[assessment_id]
        if (stop is not None and day > stop) or day > a.window_close:
            late += 1
    duplicates = [k for k, n in Counter(sent).items() if n > 1]
    print(f"\nsimulation: {len(visits)} follow-ups, {len(sent)} self-report e-mails, "
          f"{len(expected)} expected, {late} after a stop, {len(duplicates)} duplicates, "
          f"{sum(1 for a in session.exec(select(Assessment.mode)).all() if a == 'self_report')}"
          " answered by the patients")
    assert late == 0 and duplicates == []
    assert set(sent) == expected
    assert len(visits) == PATIENTS * 5
