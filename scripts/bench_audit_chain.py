"""Benchmark: sealing and verifying the audit trail's hash chain.

    .venv/bin/python scripts/bench_audit_chain.py [--patients 2000] [--rounds 3] [--url URL]

Seeds the SYNTHETIC demo study with ``--patients`` through the services (every change
audited) into a fresh SQLite file, or uses ``--url`` as it is (an existing database),
then times, in the same process and alternating:

* ``anchor``: reading every audit event's hashed columns, with no hashing;
* ``verify``: ``clinic.audit.chain.verify`` over the whole chain.

The first seal of all events is timed once (it writes every row). Prints events per
second and the ratio verify/anchor (min and median over the rounds).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", default=None, help="an existing database (not re-seeded)")
    args = parser.parse_args()
    from sqlalchemy import func, select
    from sqlmodel import Session

    from clinic import create_app
    from clinic.audit.chain import AUDIT, seal, verify
    from clinic.db import get_engine, upgrade_to_head

    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/chain.db"
    app = create_app({"DATABASE_URL": url, "CHECK_SCHEMA": False, "SECRET_KEY": "bench"})
    engine = get_engine(app)
    if args.url is None:
        upgrade_to_head(app)
        _seed(app, args.patients)
    with Session(engine) as session:
        events = session.connection().execute(
            select(func.count()).select_from(AUDIT.table)).scalar()
        started = time.perf_counter()
        sealed = seal(session)
        session.commit()
        seal_s = time.perf_counter() - started
    print(f"{events:,} audit events; first seal of {sealed:,}: {seal_s:.2f} s "
          f"({sealed / max(seal_s, 1e-9):,.0f} events/s)")
    anchor, checked = [], []
    for _ in range(args.rounds):
        with Session(engine) as session:
            started = time.perf_counter()
            rows = session.connection().execute(select(*AUDIT.columns).order_by(AUDIT.table.c.id))
            count = sum(1 for _row in rows)
            anchor.append(time.perf_counter() - started)
        with Session(engine) as session:
            started = time.perf_counter()
            report = verify(session)
            checked.append(time.perf_counter() - started)
        assert report.intact and report.events == count, report.describe()
    ratios = [v / a for v, a in zip(checked, anchor, strict=True)]
    print(f"anchor (read the rows)  median {statistics.median(anchor):.2f} s")
    print(f"verify (whole chain)    median {statistics.median(checked):.2f} s "
          f"({events / statistics.median(checked):,.0f} events/s)")
    print(f"verify / anchor: min {min(ratios):.1f}, median {statistics.median(ratios):.1f}")


def _seed(app: object, patients: int) -> None:
    from clinic.db import session_scope
    from clinic.demo.seed import seed_demo
    from clinic.web.filters import clinic_today

    started = time.perf_counter()
    with app.app_context(), session_scope() as session:  # type: ignore[attr-defined]
        seed_demo(session, patients=patients, seed=1, today=clinic_today(),
                  timezone=app.config["TIMEZONE"])  # type: ignore[attr-defined]
    print(f"seed-demo {patients} patients: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
