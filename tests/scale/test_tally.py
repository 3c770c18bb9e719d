"""The visit tallies kept by triggers equal a direct count of the visits after any mix of
changes (window moves, completions, site and arm changes, deleted visits and
enrollments), and compaction keeps every sum."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlmodel import Session

from clinic.db import get_engine
from clinic.demo.bulk import bulk_seed
from clinic.models import (
    Assessment,
    Enrollment,
    EnrollmentTally,
    Patient,
    Site,
    StudyArm,
    VisitTally,
)
from clinic.scheduling.tally import KEY, compact_tallies, status_counts

T = VisitTally.__table__.c


def _tallied(session: Session) -> dict[tuple, int]:
    rows = session.execute(select(*[T[k] for k in KEY], func.sum(T.n)).group_by(
        *[T[k] for k in KEY]))
    return {tuple(r[:-1]): int(r[-1]) for r in rows if r[-1]}


def _counted(session: Session) -> dict[tuple, int]:
    a = Assessment
    rows = session.execute(
        select(Patient.study_id, Patient.site_id, Enrollment.arm_id, a.timepoint_id, a.state,
               a.window_open, a.target_date, a.window_close, func.count())
        .join(Patient, Patient.id == a.patient_id)
        .join(Enrollment, Enrollment.patient_id == Patient.id, isouter=True)
        .group_by(Patient.study_id, Patient.site_id, Enrollment.arm_id, a.timepoint_id,
                  a.state, a.window_open, a.target_date, a.window_close))
    return {tuple(r[:-1]): int(r[-1]) for r in rows}


def _change(session: Session, rng: random.Random) -> str:
    visits = session.scalars(select(Assessment).where(Assessment.state == "pending")).all()
    patients = session.scalars(select(Patient)).all()
    sites = session.scalars(select(Site.id)).all()
    kind = rng.choice(["move", "complete", "site", "arm", "delete", "unenroll"])
    if kind == "move" and visits:
        v, days = rng.choice(visits), rng.randint(-20, 20)
        session.execute(update(Assessment).where(Assessment.id == v.id).values(
            window_open=v.window_open + timedelta(days), target_date=v.target_date
            + timedelta(days), window_close=v.window_close + timedelta(days)))
    elif kind == "complete" and visits:
        v = rng.choice(visits)
        session.execute(update(Assessment).where(Assessment.id == v.id).values(
            state="completed", completed_at=datetime.now(UTC), visit_on=v.target_date,
            mode="phone"))
    elif kind == "site":
        p = rng.choice(patients)
        session.execute(update(Patient).where(Patient.id == p.id).values(
            site_id=rng.choice(sites)))
    elif kind == "arm":
        p = rng.choice(patients)
        arms = session.scalars(select(StudyArm.id).where(StudyArm.study_id == p.study_id)).all()
        session.execute(update(Enrollment).where(Enrollment.patient_id == p.id).values(
            arm_id=rng.choice([*arms, None])))
    elif kind == "delete" and visits:
        session.execute(delete(Assessment).where(Assessment.id == rng.choice(visits).id))
    elif kind == "unenroll":
        p = rng.choice(patients)
        row = session.scalars(select(Enrollment).where(Enrollment.patient_id == p.id)).first()
        if row is not None:  # take the enrollment away and give it back
            values = row.model_dump()
            session.execute(delete(Enrollment).where(Enrollment.id == row.id))
            assert _tallied(session) == _counted(session)
            session.execute(insert(Enrollment).values(**values))
    return kind


def test_tallies_follow_every_kind_of_change(app):
    rng = random.Random(7)
    with Session(get_engine(app)) as session:
        bulk_seed(session, 30, code="TALLY")
        session.commit()
        assert _tallied(session) == _counted(session) != {}
        kinds = []
        for _ in range(120):
            kinds.append(_change(session, rng))
            session.flush()
            assert _tallied(session) == _counted(session), kinds[-1]
        session.commit()
        assert len(set(kinds)) == 6
        def rows() -> int:  # both tallies: compaction folds them together
            return sum(session.scalar(select(func.count()).select_from(model))
                       for model in (VisitTally, EnrollmentTally))

        rows_before = rows()
        removed = compact_tallies(session)
        session.commit()
        assert removed > 0
        assert rows() == rows_before - removed
        assert _tallied(session) == _counted(session)


def test_counts_by_status_equal_the_rule_over_the_visits(app):
    from clinic.scheduling.status import status_case

    with Session(get_engine(app)) as session:
        bulk_seed(session, 40, code="TALLY")
        session.commit()
        for today in (datetime.now(UTC).date() + timedelta(days=d) for d in (-90, 0, 45)):
            status = status_case(today)
            direct = dict(session.execute(select(status, func.count()).group_by(status)).all())
            assert status_counts(session, today) == direct
