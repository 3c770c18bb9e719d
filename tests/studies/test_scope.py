"""A session limited to some studies reads the rows of those studies only."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from clinic.db import get_engine
from clinic.models import (
    Assessment,
    DataQuery,
    DataQueryStep,
    Enrollment,
    Patient,
    Procedure,
    ProcedureTarget,
    Score,
    ScoreSection,
    Screening,
    ScreeningAnswer,
    Study,
    StudyArm,
)
from clinic.scheduling.tally import enrolled_count, status_counts
from clinic.studies.scope import limit_to_studies, study_scope


def _count(session: Session, model: type) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_limited_session_reads_only_its_studies_rows(app, two_studies):
    t = two_studies
    with Session(get_engine(app)) as session:
        every = {m: _count(session, m) for m in (Patient, Assessment, Procedure, Enrollment,
                                                  Screening, ScreeningAnswer, StudyArm,
                                                  DataQuery, DataQueryStep, ProcedureTarget,
                                                  Study)}
        total_enrolled = enrolled_count(session)
    with Session(get_engine(app)) as session:
        limit_to_studies(session, [t.mine.id])
        assert study_scope(session) == (t.mine.id,)
        assert session.exec(select(Study.code)).all() == ["DEMO"]
        assert session.exec(select(Patient.study_code)).all() == ["MINE-01"]
        assert session.get(Patient, t.stranger.id) is None
        assert session.get(DataQuery, t.foreign_query.id) is None
        assert session.get(Patient, t.patient.id) is not None
        for model, n in every.items():  # each table: half of its rows (two alike studies)
            assert 2 * _count(session, model) == n, model.__name__
        visits = session.exec(select(Assessment).join(Patient)).all()
        assert {v.patient_id for v in visits} == {t.patient.id}
        assert enrolled_count(session) * 2 == total_enrolled
        assert sum(status_counts(session, date(2026, 6, 1)).values()) == len(visits)


def test_scores_and_query_steps_follow_their_patients_study(app, two_studies):
    t = two_studies
    with Session(get_engine(app)) as session:
        stranger_visit = session.exec(select(Assessment.id).where(
            Assessment.patient_id == t.stranger.id)).first()
        score = Score(assessment_id=stranger_visit, instrument="odi", value=10.0,
                      mode="in_clinic")
        session.add(score)
        session.flush()
        session.add(ScoreSection(score_id=score.id, section=1, value=1))
        session.commit()
        section = session.exec(select(ScoreSection.id)).one()
        limit_to_studies(session, [t.mine.id])
        assert session.exec(select(Score)).all() == []
        assert session.exec(select(ScoreSection)).all() == []
        assert session.get(ScoreSection, section) is None
        steps = session.exec(select(DataQueryStep.query_id)).all()
        assert set(steps) == {t.query.id}


def test_a_session_limited_to_no_study_reads_no_study_data(app, two_studies):
    with Session(get_engine(app)) as session:
        limit_to_studies(session, [])
        assert session.exec(select(Study)).all() == []
        assert session.exec(select(Patient)).all() == []
        assert enrolled_count(session) == 0


def test_an_unlimited_session_reads_everything(app, two_studies):
    with Session(get_engine(app)) as session:
        assert study_scope(session) is None
        assert len(session.exec(select(Study)).all()) == 2
        assert len(session.exec(select(Patient)).all()) == 2


def test_two_scopes_on_one_engine_each_read_their_own_study(app, two_studies):
    """The statements are cached per engine: a second scope must not reuse the first's
    study ids (each statement twice, in both orders)."""
    t = two_studies
    engine = get_engine(app)
    for order in ((t.mine, t.other), (t.other, t.mine), (t.mine, t.other)):
        for study in order:
            with Session(engine) as session:
                limit_to_studies(session, [study.id])
                assert session.exec(select(Study.code)).all() == [study.code]
                codes = session.exec(select(Patient.study_code)).all()
                assert codes == [t.patient.study_code if study is t.mine
                                 else t.stranger.study_code]
                visits = session.exec(select(Assessment.patient_id)).all()
                assert set(visits) == {t.patient.id if study is t.mine else t.stranger.id}
                steps = session.exec(select(DataQueryStep.query_id)).all()
                assert set(steps) == {t.query.id if study is t.mine else t.foreign_query.id}
