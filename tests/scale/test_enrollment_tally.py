"""The enrollment tallies kept by triggers equal a direct count of the enrollments after
any mix of changes (site, study and arm changes, enrollments taken away and given back),
compaction keeps every sum, the migration fills them from the rows already there, and the
home page and the patient list count from them."""

from __future__ import annotations

import random

from sqlalchemy import delete, func, insert, select, update
from sqlmodel import Session

from clinic.db import get_engine
from clinic.demo.bulk import bulk_seed
from clinic.models import Enrollment, EnrollmentTally, Patient, Site, StudyArm
from clinic.scheduling.tally import ENROLLMENT_KEY, compact_tallies, enrolled_count

T = EnrollmentTally.__table__.c


def _tallied(session: Session) -> dict[tuple, int]:
    rows = session.execute(select(*[T[k] for k in ENROLLMENT_KEY], func.sum(T.n))
                           .group_by(*[T[k] for k in ENROLLMENT_KEY]))
    return {tuple(r[:-1]): int(r[-1]) for r in rows if r[-1]}


def _counted(session: Session) -> dict[tuple, int]:
    rows = session.execute(
        select(Patient.study_id, Patient.site_id, Enrollment.arm_id, func.count())
        .join(Enrollment, Enrollment.patient_id == Patient.id)
        .group_by(Patient.study_id, Patient.site_id, Enrollment.arm_id))
    return {tuple(r[:-1]): int(r[-1]) for r in rows}


def _change(session: Session, rng: random.Random) -> str:
    patients = session.scalars(select(Patient)).all()
    sites = session.scalars(select(Site.id)).all()
    p = rng.choice(patients)
    kind = rng.choice(["site", "arm", "unenroll", "move"])
    if kind == "site":
        session.execute(update(Patient).where(Patient.id == p.id).values(
            site_id=rng.choice(sites)))
    elif kind == "arm":
        arms = session.scalars(select(StudyArm.id).where(StudyArm.study_id == p.study_id)).all()
        session.execute(update(Enrollment).where(Enrollment.patient_id == p.id).values(
            arm_id=rng.choice([*arms, None])))
    elif kind == "unenroll":
        row = session.scalars(select(Enrollment).where(Enrollment.patient_id == p.id)).first()
        if row is not None:  # take the enrollment away and give it back
            values = row.model_dump()
            session.execute(delete(Enrollment).where(Enrollment.id == row.id))
            assert _tallied(session) == _counted(session)
            session.execute(insert(Enrollment).values(**values))
    else:  # the enrollment moves to another patient without one, or back
        free = session.scalars(select(Patient.id).where(~Patient.id.in_(
            select(Enrollment.patient_id)))).first()
        if free is not None:
            session.execute(update(Enrollment).where(Enrollment.patient_id == p.id)
                            .values(patient_id=free))
    return kind


def test_enrollment_tallies_follow_every_kind_of_change(app):
    rng = random.Random(11)
    with Session(get_engine(app)) as session:
        bulk_seed(session, 30, code="TALLY")
        session.commit()
        assert _tallied(session) == _counted(session) != {}
        kinds = []
        for _ in range(80):
            kinds.append(_change(session, rng))
            session.flush()
            assert _tallied(session) == _counted(session), kinds[-1]
        session.commit()
        assert set(kinds) == {"site", "arm", "unenroll", "move"}
        compact_tallies(session)
        session.commit()
        assert _tallied(session) == _counted(session)
        assert session.scalar(select(func.count()).select_from(EnrollmentTally)) == \
            len(_counted(session))


def test_the_migration_fills_the_tallies_from_the_enrollments_there(app):
    from tests.models.test_migrations import _migrate

    with Session(get_engine(app)) as session:
        bulk_seed(session, 12, code="TALLY")
        session.commit()
        before = _counted(session)
    engine = get_engine(app)
    _migrate(engine, "0017", down=True)
    _migrate(engine, "head")
    with Session(engine) as session:
        assert _tallied(session) == before != {}
        p = session.scalars(select(Patient)).first()  # and the triggers are back
        session.execute(update(Enrollment).where(Enrollment.patient_id == p.id)
                        .values(arm_id=None))
        assert _tallied(session) == _counted(session)
        session.rollback()


def test_the_counts_read_from_the_tallies(app):
    with Session(get_engine(app)) as session:
        bulk_seed(session, 25, code="TALLY")
        session.commit()
        site = session.scalars(select(Site.id).order_by(Site.id)).first()
        arm = session.scalars(select(StudyArm.id).order_by(StudyArm.id)).first()
        for site_id, arm_id in ((None, None), (site, None), (None, arm), (site, arm)):
            query = select(func.count()).select_from(Patient).join(
                Enrollment, Enrollment.patient_id == Patient.id)
            if site_id is not None:
                query = query.where(Patient.site_id == site_id)
            if arm_id is not None:
                query = query.where(Enrollment.arm_id == arm_id)
            assert enrolled_count(session, site_id=site_id, arm_id=arm_id) == \
                session.scalar(query)
