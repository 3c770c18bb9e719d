"""Benchmark: the daily reminder pass over a large registry with nothing to change.

    .venv/bin/python scripts/bench_daily_pass.py --database FILE.db [--rounds 5]

FILE.db is a SQLite database holding the SYNTHETIC bulk-loaded study BENCH (for example
the 200,000-patient file ``scripts/bench_scale.py --keep DIR`` leaves, 1.2 M visits). It
is copied first; the copy gets every patient an e-mail address and reminder consent
and every upcoming visit its reminder (one INSERT … SELECT, checked afterwards: a full
re-plan over the copy must find nothing to change). Then, alternately in the same
minute (A, B, A, B …):

- A: the full re-plan (``flask reminders replan``; until this change, the daily pass),
  which reads every upcoming visit;
- B: today's daily pass (plan on write: only the reminders whose sending day has come);
- an anchor: ``SELECT 1`` on the same connection.

Prints min and median of each and the ratios. Goal (issue "Registry scale"): the daily
pass over 1,000,000 scheduled visits with nothing to change <= 0.5 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clinic import create_app  # noqa: E402
from clinic.db import get_engine, upgrade_to_head  # noqa: E402
from clinic.reminders.planning import plan_patient_reminders, replan_all_reminders  # noqa: E402

DAYS_BEFORE = 3


def _prepare(session: Session, today: date) -> int:
    session.execute(text(
        "INSERT INTO patient_identity (patient_id, name, email, reminder_consent, "
        "self_report_consent, language, version) "
        "SELECT id, 'SYNTHETIC ' || study_code, lower(study_code) || '@example.invalid', "
        "1, 0, 'en', 1 FROM patient "
        "WHERE id NOT IN (SELECT patient_id FROM patient_identity)"))
    session.execute(text(
        "INSERT INTO reminder (kind, assessment_id, visit_date, send_on, state, attempts, "
        "created_at) "
        "SELECT 'patient_visit', a.id, a.target_date, date(a.target_date, :lead), 'pending', "
        "0, CURRENT_TIMESTAMP FROM assessment a "
        "JOIN study_timepoint t ON t.id = a.timepoint_id AND NOT t.is_baseline "
        "WHERE a.state = 'pending' AND a.target_date >= :today "
        "AND a.id NOT IN (SELECT assessment_id FROM reminder)"),
        {"lead": f"-{DAYS_BEFORE} days", "today": today.isoformat()})
    session.commit()
    return int(session.execute(text("SELECT count(*) FROM reminder")).scalar_one())


def _timed(call) -> float:  # noqa: ANN001
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    copy = Path(tempfile.mkdtemp()) / "daily_pass.db"
    shutil.copy(args.database, copy)
    app = create_app({"DATABASE_URL": f"sqlite:///{copy}", "SECRET_KEY": "bench",
                      "CHECK_SCHEMA": False})
    upgrade_to_head(app)  # a file kept from an older run gets this version's indexes
    today = date.today()
    with app.app_context(), Session(get_engine(app)) as session:
        visits = int(session.execute(text("SELECT count(*) FROM assessment")).scalar_one())
        reminders = _prepare(session, today)
        print(f"{visits:,} scheduled visits, {reminders:,} reminders planned", flush=True)
        first = replan_all_reminders(session, today=today, days_before=DAYS_BEFORE)
        session.rollback()
        print(f"full re-plan finds {first} rows to change (0: the copy is in step)", flush=True)
        times: dict[str, list[float]] = {"A full re-plan": [], "B daily pass": [],
                                         "anchor SELECT 1": []}
        for _ in range(args.rounds):
            times["A full re-plan"].append(_timed(lambda: replan_all_reminders(
                session, today=today, days_before=DAYS_BEFORE)))
            session.rollback()
            times["anchor SELECT 1"].append(_timed(lambda: session.execute(text("SELECT 1"))))
            times["B daily pass"].append(_timed(lambda: plan_patient_reminders(
                session, today=today, days_before=DAYS_BEFORE)))
            session.rollback()
    anchor = statistics.median(times["anchor SELECT 1"])
    for name, values in times.items():
        print(f"  {name:<18} min {min(values) * 1000:9.1f} ms  median "
              f"{statistics.median(values) * 1000:9.1f} ms  x anchor "
              f"{statistics.median(values) / anchor:,.0f}")
    ratio = statistics.median(times["B daily pass"]) / statistics.median(
        times["A full re-plan"])
    verdict = "PASS" if statistics.median(times["B daily pass"]) <= 0.5 else "FAIL"
    print(f"daily pass / full re-plan: {ratio:.4f}; goal <= 0.5 s over {visits:,} visits: "
          f"{verdict}")


if __name__ == "__main__":
    main()
