"""Two studies with a treated patient and an open data query each."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest
from sqlmodel import Session

from clinic.demo.protocol import DEMO_STUDY
from clinic.models import DataQuery, Patient, Study
from clinic.queries.service import raise_query
from tests.factories import make_patient, make_procedure, make_study


@dataclass
class TwoStudies:
    mine: Study
    other: Study
    patient: Patient  # of ``mine``
    stranger: Patient  # of ``other``
    query: DataQuery  # on ``patient``
    foreign_query: DataQuery  # on ``stranger``


def make_two_studies(session: Session) -> TwoStudies:
    mine = make_study(session)
    other = make_study(session, dataclasses.replace(DEMO_STUDY, code="OTHER",
                                                    title="Another study"))
    patient, _ = make_patient(session, mine, study_code="MINE-01")
    stranger, _ = make_patient(session, other, study_code="OTHER-01")
    for p in (patient, stranger):
        make_procedure(session, p)
    query = raise_query(session, table="patient", row_id=patient.id, field="bmi",  # type: ignore[arg-type]
                        text="Is the BMI right?", actor_id=None)
    foreign = raise_query(session, table="patient", row_id=stranger.id, field="bmi",  # type: ignore[arg-type]
                          text="Is this BMI right?", actor_id=None)
    session.commit()
    return TwoStudies(mine, other, patient, stranger, query, foreign)


@pytest.fixture
def two_studies(session: Session) -> TwoStudies:
    return make_two_studies(session)
