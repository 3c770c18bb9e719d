"""The steroid a study's cap counts is the study's own (SQLite and PostgreSQL): a study
capping triamcinolone makes triamcinolone over the cap a protocol deviation at entry and
on the patient page, and methylprednisolone acetate, the seed trial's capped steroid, is
not counted."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from clinic.demo.protocol import DEMO_STUDY
from clinic.patients.overview import patient_record
from clinic.procedures.checks import procedure_checks
from clinic.procedures.inputs import InjectateInput
from tests.factories import make_patient, make_procedure, make_study, procedure_input

ZONE = "Europe/Berlin"
TRIAMCINOLONE = dataclasses.replace(DEMO_STUDY, code="TRIAM", steroid_cap_mg=60.0,
                                    capped_steroid="triamcinolone")
LATER = datetime(2026, 2, 15, 9, 30, tzinfo=UTC)


def _given(drug: str, mg: float) -> tuple[InjectateInput, ...]:
    return (InjectateInput("lidocaine", 1.0, 1.5), InjectateInput(drug, dose_mg=mg))


def _deviations(session, patient, drug: str, mg: float) -> list[str]:
    _warnings, deviations = procedure_checks(
        session, patient, procedure_input(when=LATER, injectates=_given(drug, mg)),
        timezone=ZONE)
    return deviations


def test_a_study_capping_triamcinolone_counts_triamcinolone_not_methylprednisolone(session):
    study = make_study(session, TRIAMCINOLONE)
    assert study.capped_steroid == "triamcinolone"
    patient, _ = make_patient(session, study)
    make_procedure(session, patient, injectates=_given("triamcinolone", 40.0))
    make_procedure(session, patient, when=datetime(2026, 1, 29, 9, 30, tzinfo=UTC),
                   injectates=_given("methylprednisolone_acetate", 120.0))
    session.commit()
    assert _deviations(session, patient, "triamcinolone", 40.0) == [
        "Triamcinolone over the study's cap of 60 mg per patient: 80 mg in all (40 here, 40 "
        "before)."]
    assert _deviations(session, patient, "methylprednisolone_acetate", 80.0) == [], \
        "the seed trial's capped steroid is not this study's"
    assert _deviations(session, patient, "triamcinolone", 20.0) == [], "60 mg: at the cap"


def test_the_patient_page_names_the_studys_capped_steroid(session):
    study = make_study(session, TRIAMCINOLONE)
    patient, _ = make_patient(session, study)
    make_procedure(session, patient, injectates=_given("methylprednisolone_acetate", 120.0))
    make_procedure(session, patient, when=datetime(2026, 1, 29, 9, 30, tzinfo=UTC),
                   injectates=_given("triamcinolone", 80.0),
                   deviation_reason="Severe pain, physician's decision")
    session.commit()
    record = patient_record(session, patient, today=date(2026, 6, 1), with_identity=False)
    over = [[d for d in row.deviations if "cap" in d] for row in record.procedures]
    assert over == [[], ["triamcinolone over the study's cap (80 mg in all, the cap 60 mg "
                         "per patient)"]]
