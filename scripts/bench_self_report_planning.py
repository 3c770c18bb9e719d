"""Benchmark: planning the self-report invitations and reminders of a large study.

    .venv/bin/python scripts/bench_self_report_planning.py [--patients 20000] [--rounds 5]

Bulk-loads a SYNTHETIC study (clinic/demo/bulk.py: 6 timepoints, so 20,000
patients hold 100,000 follow-up visits) into a temporary SQLite file, gives every
patient an e-mail address and consent to self-report, and times the daily planning
step (clinic.selfreport.planning.plan_self_report) in two situations:

* day:      the visits as the bulk generator spread them (those open today are planned);
* all-open: every follow-up pending with its window open today, at a different day of
            its ladder (the worst case: every visit needs its rows).

Each planning run is rolled back, so every round starts from the same state. The
machine is shared: each figure is measured beside an anchor in the same minute,
alternating anchor, planning, anchor, planning; the anchor reads every visit's id and
window into Python (what any planner must at least do). Printed: min and median of
the planning time, of the anchor, and of their ratio. Target: under 2 s for 100,000
visits.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlmodel import Session, SQLModel, col

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from clinic import create_app  # noqa: E402
from clinic.db import get_engine, upgrade_to_head  # noqa: E402
from clinic.demo.bulk import bulk_seed  # noqa: E402
from clinic.models import Assessment, Patient, SelfReportMessage, StudyTimepoint  # noqa: E402
from clinic.selfreport.planning import plan_self_report  # noqa: E402


def _app(patients: int) -> object:
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    app = create_app({"DATABASE_URL": url, "CHECK_SCHEMA": False, "SECRET_KEY": "bench"})
    upgrade_to_head(app)
    with Session(get_engine(app)) as session:
        bulk_seed(session, patients, seed=1)
        ids = session.execute(select(Patient.id)).all()
        table = SQLModel.metadata.tables["patient_identity"]
        rows = [{"patient_id": pid, "name": f"Synthetic Patient {pid}", "email":
                 f"p{pid}@example.invalid", "reminder_consent": False,
                 "self_report_consent": True, "language": "en", "version": 1}
                for (pid,) in ids]
        for start in range(0, len(rows), 20_000):
            session.execute(insert(table), rows[start:start + 20_000])
        session.commit()
    return app


def _visits(session: Session) -> int:
    return int(session.execute(select(func.count(col(Assessment.id)))
                               .join(StudyTimepoint).where(
                                   col(StudyTimepoint.is_baseline).is_(False))).scalar_one())


def _open_everything(session: Session, today: date) -> None:
    """Every follow-up pending, its window open today at day 0..13 of its ladder."""
    baseline = select(StudyTimepoint.id).where(col(StudyTimepoint.is_baseline).is_(True))
    for day in range(14):
        session.execute(update(Assessment).where(
            col(Assessment.timepoint_id).not_in(baseline), Assessment.id % 14 == day)
            .values(state="pending", completed_at=None, mode=None, target_date=today,
                    window_open=today - timedelta(days=day),
                    window_close=today + timedelta(days=30)))
    session.commit()


def _anchor(session: Session) -> float:
    start = time.perf_counter()
    session.execute(select(Assessment.id, Assessment.window_open, Assessment.window_close)).all()
    return time.perf_counter() - start


def _plan(session: Session, today: date) -> tuple[float, int, int]:
    start = time.perf_counter()
    changed = plan_self_report(session, today=today)
    session.flush()
    elapsed = time.perf_counter() - start
    rows = int(session.execute(select(func.count(col(SelfReportMessage.id)))).scalar_one())
    session.rollback()
    return elapsed, changed, rows


def measure(app: object, today: date, rounds: int, label: str) -> None:
    anchors, plans, ratios = [], [], []
    with Session(get_engine(app)) as session:  # type: ignore[arg-type]
        visits = _visits(session)
        _plan(session, today)  # warm the caches once
        for _ in range(rounds):
            a = _anchor(session)
            session.rollback()
            p, changed, rows = _plan(session, today)
            anchors.append(a)
            plans.append(p)
            ratios.append(p / a)
    print(f"{label}: {visits:,} follow-up visits, {rows:,} message rows planned "
          f"({changed:,} inserted or changed)")
    print(f"  planning   min {min(plans):.3f} s  median {statistics.median(plans):.3f} s"
          f"  (target < 2 s)")
    print(f"  anchor     min {min(anchors):.3f} s  median {statistics.median(anchors):.3f} s")
    print(f"  ratio      min {min(ratios):.1f}  median {statistics.median(ratios):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    app = _app(args.patients)
    print(f"loaded {args.patients:,} patients in {time.perf_counter() - started:.0f} s")
    today = date.today()
    measure(app, today, args.rounds, "day")
    with Session(get_engine(app)) as session:  # type: ignore[arg-type]
        _open_everything(session, today)
    measure(app, today, args.rounds, "all-open")


if __name__ == "__main__":
    main()
