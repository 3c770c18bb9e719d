"""What the patient page says a procedure's deviation reason was given for
(clinic.patients.overview.deviations_of, pure: built from rows, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from clinic.models import Injectate, Procedure, StudyArm
from clinic.patients.overview import ProcedureRow, deviations_of
from clinic.procedures.inputs import SteroidCap

TODAY = date(2026, 6, 1)
FLUORO = StudyArm(code="A", label="Group A", modality="fluoroscopy", study_id=1)
MP = "methylprednisolone_acetate"  # the seed trial's capped steroid


def _row(day: date, modality: str = "fluoroscopy", steroid_mg: float = 0,
         dap: float | None = 250.0, drug: str = "methylprednisolone_acetate") -> ProcedureRow:
    p = Procedure(patient_id=1, performed_at=datetime(day.year, day.month, day.day, 9,
                                                      tzinfo=UTC),
                  modality=modality, procedure_type="tfesi", punctures=1,
                  dap_mgy_cm2=dap if modality == "fluoroscopy" else None)
    shots = [Injectate(procedure_id=0, drug=drug, dose_mg=steroid_mg)]
    return ProcedureRow(p, [], shots)


def test_each_deviation_is_named_on_the_procedure_that_makes_it():
    rows = [_row(date(2026, 1, 10), steroid_mg=80),
            _row(date(2026, 2, 10), modality="ultrasound", steroid_mg=40),
            _row(date(2026, 3, 10), steroid_mg=40, dap=None)]
    said = [r.deviations for r in deviations_of(rows, FLUORO, SteroidCap(100, MP), TODAY)]
    assert said == [
        (),
        ("another modality than the arm's (Group A: Fluoroscopy)",
         "methylprednisolone acetate over the study's cap (120 mg in all, the cap 100 mg "
         "per patient)"),
        ("methylprednisolone acetate over the study's cap (160 mg in all, the cap 100 mg "
         "per patient)", "no radiation dose recorded")]


def test_a_registry_a_planned_procedure_and_no_cap_name_none():
    rows = [_row(date(2026, 1, 10), modality="ct", steroid_mg=500),
            _row(date(2026, 7, 10), dap=None)]  # planned after today: no dose yet
    said = [r.deviations for r in deviations_of(rows, None, None, TODAY)]
    assert said == [("no radiation dose recorded",), ()]


def test_the_cap_counts_its_steroid_and_only_a_procedure_that_gives_it():
    """Found trying the screens as a new user would: a lidocaine-only procedure after the
    cap was passed was called a deviation too; and the regimen's dexamethasone (8 mg per
    level, not capped in the seed trial) counted against the cap."""
    rows = [_row(date(2026, 1, 10), steroid_mg=60),
            _row(date(2026, 2, 10), steroid_mg=40),
            _row(date(2026, 3, 10), steroid_mg=5, drug="lidocaine"),
            _row(date(2026, 4, 10), steroid_mg=24, drug="dexamethasone")]
    said = [r.deviations for r in deviations_of(rows, FLUORO, SteroidCap(80, MP), TODAY)]
    assert said == [(), ("methylprednisolone acetate over the study's cap (100 mg in all, "
                         "the cap 80 mg per patient)",), (), ()]


def test_the_cap_counts_the_steroid_the_study_caps():
    """A study capping triamcinolone: its triamcinolone over the cap is named, the
    methylprednisolone acetate (the seed trial's capped steroid) is not counted."""
    rows = [_row(date(2026, 1, 10), steroid_mg=60, drug="triamcinolone"),
            _row(date(2026, 2, 10), steroid_mg=200),
            _row(date(2026, 3, 10), steroid_mg=40, drug="triamcinolone")]
    said = [r.deviations for r in deviations_of(rows, FLUORO, SteroidCap(80, "triamcinolone"),
                                                TODAY)]
    assert said == [(), (), ("triamcinolone over the study's cap (100 mg in all, the cap 80 mg "
                             "per patient)",)]
