from clinic.models import Study
from tests.factories import assessments_of, make_patient, make_procedure, make_study


def test_factories_build_a_scheduled_patient(session):
    study = make_study(session)
    patient, enrollment = make_patient(session, study)
    make_procedure(session, patient)
    session.commit()
    assert session.get(Study, study.id).code == "DEMO"
    assert len(assessments_of(session, patient)) == 6
