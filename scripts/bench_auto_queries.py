"""Benchmark: the automatic data-query rules over a whole study (the nightly job).

    .venv/bin/python scripts/bench_auto_queries.py [--patients 20000] [--rounds 3] [--url URL]

Bulk-seeds ``--patients`` SYNTHETIC patients (clinic.demo.bulk) into a fresh SQLite file,
or into ``--url`` (a PostgreSQL database it may fill: its tables are dropped and made
again), then times in the same process:

* the first run, which raises every query the rules find (and is committed);
* alternating, ``--rounds`` times: ``anchor``, a plain read of the rows the five rules
  read (the same joins, fetched, nothing computed), and ``rules``, a run that finds the
  same values and raises nothing (each query exists already).

Prints the queries raised per rule, and min and median of both, with their ratio.
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
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", default=None, help="a PostgreSQL database to fill")
    args = parser.parse_args()
    from sqlalchemy import update
    from sqlmodel import Session, SQLModel, func, select

    from clinic import create_app
    from clinic.db import get_engine, upgrade_to_head
    from clinic.demo.bulk import bulk_seed
    from clinic.models import Assessment, DataQuery
    from clinic.queries.rules import run_rules

    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/queries.db"
    app = create_app({"DATABASE_URL": url, "CHECK_SCHEMA": False, "SECRET_KEY": "bench"})
    engine = get_engine(app)
    if args.url:
        SQLModel.metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade_to_head(app)
    started = time.perf_counter()
    with Session(engine) as session:
        counts = bulk_seed(session, args.patients)
        # the bulk generator leaves visit dates empty: each recorded visit on its target day
        session.execute(update(Assessment).where(Assessment.state == "completed")
                        .values(visit_on=Assessment.target_date))
        session.commit()
    print(f"{engine.dialect.name}: {counts['patients']:,} patients, {counts['scores']:,} "
          f"scores seeded in {time.perf_counter() - started:.1f} s")
    with Session(engine) as session:
        started = time.perf_counter()
        raised = run_rules(session)
        session.commit()
        first = time.perf_counter() - started
        by_rule = dict(session.exec(select(DataQuery.rule, func.count())
                                    .group_by(DataQuery.rule)).all())
    print(f"first run: {raised:,} queries raised in {first:.2f} s: {by_rule}")
    anchor, rules = [], []
    for _ in range(args.rounds):
        anchor.append(_timed(lambda s: _plain_reads(s), engine))
        rules.append(_timed(lambda s: _must_be_zero(run_rules(s)), engine))
    ratios = [r / a for r, a in zip(rules, anchor, strict=True)]
    for name, times in (("anchor (plain reads)", anchor), ("rules, nothing new", rules)):
        print(f"{name:<21} min {min(times):.3f} s, median {statistics.median(times):.3f} s")
    print(f"rules / anchor:       min {min(ratios):.2f}, median {statistics.median(ratios):.2f}")


def _timed(action, engine) -> float:  # type: ignore[no-untyped-def]
    from sqlmodel import Session

    with Session(engine) as session:
        started = time.perf_counter()
        action(session)
        elapsed = time.perf_counter() - started
        session.rollback()
    return elapsed


def _must_be_zero(raised: int) -> None:
    if raised:
        raise SystemExit(f"a second run raised {raised} queries: rules are not idempotent")


def _plain_reads(session) -> None:  # type: ignore[no-untyped-def]
    """The rows the five finders read, with their joins, fetched and dropped."""
    from sqlmodel import col, select

    from clinic.models import (
        Assessment,
        Enrollment,
        Patient,
        Procedure,
        Score,
        Study,
        StudyArm,
        StudyTimepoint,
    )

    visits = (select(Assessment.id, Assessment.visit_on, Assessment.window_open,
                     Assessment.window_close, StudyTimepoint.label, Patient.study_id)
              .join(Patient, col(Patient.id) == col(Assessment.patient_id))
              .join(StudyTimepoint, col(StudyTimepoint.id) == col(Assessment.timepoint_id))
              .where(Assessment.state == "completed"))
    scores = (select(Score.id, Score.value, Score.collected_at, Score.answered,
                     Assessment.visit_on, Assessment.patient_id, StudyTimepoint.label)
              .join(Assessment, col(Assessment.id) == col(Score.assessment_id))
              .join(Patient, col(Patient.id) == col(Assessment.patient_id))
              .join(StudyTimepoint, col(StudyTimepoint.id) == col(Assessment.timepoint_id))
              .where(col(Score.instrument).in_(("vas", "odi", "ndi"))))
    procedures = (select(Procedure.id, Procedure.modality, Procedure.dap_mgy_cm2,
                         Procedure.dlp_mgy_cm, StudyArm.modality, Study.design_type)
                  .join(Patient, col(Patient.id) == col(Procedure.patient_id))
                  .join(Enrollment, col(Enrollment.patient_id) == col(Patient.id))
                  .join(StudyArm, col(StudyArm.id) == col(Enrollment.arm_id))
                  .join(Study, col(Study.id) == col(Patient.study_id)))
    for query in (visits, scores, procedures):
        session.exec(query).all()


if __name__ == "__main__":
    main()
