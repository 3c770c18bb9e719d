"""Warnings confirmed before saving for values that are probably a unit or typing slip,
found trying the form as a new user would: a DAP read in Gy·cm² (1.2), a fluoroscopy time
read in minutes (1.5), dexamethasone 80 mg beside 0.4 % × 2 mL (8 mg) and dexamethasone
80 mg at all (about ten times the seed trial's 8 mg per level) were saved without a word.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from clinic.catalog import STEROIDS
from clinic.procedures.checks import confirmation_errors, procedure_checks
from clinic.procedures.inputs import (
    STEROID_MG_PER_INJECTION_MAX,
    InjectateInput,
    ProcedureInput,
    TargetInput,
    low_radiation_warnings,
    mismatched_dose_warnings,
    steroid_warnings,
)
from tests.factories import make_patient, make_procedure, make_study, procedure_input

ZONE = "Europe/Berlin"
LATER = datetime(2026, 2, 15, 9, 30, tzinfo=UTC)
DAP_SLIP = ("DAP 1.2 mGy·cm²: lower than a fluoroscopy-guided injection gives (check the "
            "unit: 1.2 Gy·cm² is 1,200 mGy·cm²).")
MINUTES_SLIP = ("Fluoroscopy time 1.5 s: shorter than a fluoroscopy-guided injection takes "
                "(check the unit: 1.5 min is 90 s).")
DOSE_SLIP = ("Dexamethasone 80 mg, but 0.4 % × 2 mL is 8 mg: check the dose, the "
             "concentration or the volume.")
DEXAMETHASONE_80 = ("Dexamethasone 80 mg in one injection is more than 20 mg: check the "
                    "dose and its unit.")


def _procedure(modality: str = "fluoroscopy", **values: object) -> ProcedureInput:
    return ProcedureInput(performed_at=LATER, modality=modality, procedure_type="tfesi",
                          punctures=1, targets=(TargetInput("L4-L5", "left"),),
                          **values)  # type: ignore[arg-type]


def _given(*injectates: InjectateInput) -> ProcedureInput:
    return _procedure(injectates=injectates)


def test_a_dap_read_in_gy_cm2_is_warned_naming_the_unit():
    assert low_radiation_warnings(_procedure(dap_mgy_cm2=1.2)) == [DAP_SLIP]
    assert low_radiation_warnings(_procedure(modality="dsa", dap_mgy_cm2=3.5)) == [
        "DAP 3.5 mGy·cm²: lower than a DSA-guided injection gives (check the unit: 3.5 "
        "Gy·cm² is 3,500 mGy·cm²)."]
    assert low_radiation_warnings(_procedure(dap_mgy_cm2=0)) == [
        "DAP 0 mGy·cm²: lower than a fluoroscopy-guided injection gives (leave it empty if "
        "the dose was not recorded)."]


def test_a_fluoroscopy_time_read_in_minutes_is_warned_naming_the_unit():
    assert low_radiation_warnings(_procedure(fluoroscopy_time_s=1.5)) == [MINUTES_SLIP]
    assert low_radiation_warnings(_procedure(modality="cbct", fluoroscopy_time_s=0.8)) == [
        "Fluoroscopy time 0.8 s: shorter than a cone-beam CT-guided injection takes (check "
        "the unit: 0.8 min is 48 s)."]


@pytest.mark.parametrize("values", [
    {"dap_mgy_cm2": 300, "fluoroscopy_time_s": 45},  # ordinary
    {"dap_mgy_cm2": 10, "fluoroscopy_time_s": 4},  # a short caudal injection
    {"dap_mgy_cm2": 5, "fluoroscopy_time_s": 2},  # at the limits
    {},  # not recorded
])
def test_a_real_short_fluoroscopy_is_not_nagged(values):
    assert low_radiation_warnings(_procedure(**values)) == []


def test_ct_doses_have_no_lower_limit():
    """An ultra-low-dose protocol gives a DLP of a few mGy·cm: no unit slip to tell."""
    assert low_radiation_warnings(_procedure("ct", ctdivol_mgy=0.3, dlp_mgy_cm=2.3)) == []


def test_a_dose_that_contradicts_its_concentration_and_volume_is_warned():
    assert mismatched_dose_warnings(_given(InjectateInput("dexamethasone", 0.4, 2, 80))) == [
        DOSE_SLIP]
    assert mismatched_dose_warnings(_given(InjectateInput("lidocaine", 2, 5, 10))) == [
        "Lidocaine 10 mg, but 2 % × 5 mL is 100 mg: check the dose, the concentration or "
        "the volume."]
    assert mismatched_dose_warnings(_given(InjectateInput("bupivacaine", 0.25, 2, 0))) != []
    assert mismatched_dose_warnings(_given(InjectateInput("dexamethasone", 0.4, 4, 8))) != []
    assert mismatched_dose_warnings(_given(InjectateInput("lidocaine", 1, 2, 14))) != []  # 30 %


@pytest.mark.parametrize("row", [
    InjectateInput("dexamethasone", 0.4, 2, 8),
    InjectateInput("dexamethasone", 0.4, 2, 8.8),  # 10 % apart: rounding
    InjectateInput("dexamethasone", 0.4, 2, 6.6),  # the vial's salt, the dose as base
    InjectateInput("betamethasone", 0.39, 1, 3),  # (sodium phosphate 3.9 mg: 3 mg base)
    InjectateInput("bupivacaine", 0.25, 2.2, 5.5),
    InjectateInput("dexamethasone", None, None, 8),  # nothing to compare
    InjectateInput("dexamethasone", None, 2, 8),
    InjectateInput("lidocaine", 1, 1.5, None),
    InjectateInput("saline", 0, 5, 0),
])
def test_a_dose_that_agrees_or_cannot_be_compared_is_not_warned(row):
    assert mismatched_dose_warnings(_given(row)) == []


def test_the_single_injection_limit_follows_the_steroids_potency():
    assert steroid_warnings(_given(InjectateInput("dexamethasone", dose_mg=80))) == [
        DEXAMETHASONE_80]
    assert steroid_warnings(_given(InjectateInput("betamethasone", dose_mg=30))) == [
        "Betamethasone 30 mg in one injection is more than 24 mg: check the dose and its "
        "unit."]
    usual = _given(InjectateInput("dexamethasone", dose_mg=8),
                   InjectateInput("dexamethasone", dose_mg=20),
                   InjectateInput("betamethasone", dose_mg=12),
                   InjectateInput("methylprednisolone_acetate", dose_mg=80),
                   InjectateInput("triamcinolone", dose_mg=120),
                   InjectateInput("lidocaine", dose_mg=100))
    assert steroid_warnings(usual) == []
    assert steroid_warnings(_given(InjectateInput("triamcinolone", dose_mg=121))) != []


def test_every_steroid_has_a_single_injection_limit():
    assert set(STEROID_MG_PER_INJECTION_MAX) == STEROIDS


def test_the_checks_raise_them_at_entry_and_in_a_correction(session):
    """procedure_checks (which the form and the API use) lists them as warnings: saved
    only when confirmed."""
    patient, _ = make_patient(session, make_study(session))
    recorded = make_procedure(session, patient)
    session.commit()
    slips = procedure_input(when=LATER, dap_mgy_cm2=1.2, fluoroscopy_time_s=1.5,
                            injectates=(InjectateInput("dexamethasone", 0.4, 2, 80),))
    for correcting in (None, recorded.id):
        warnings, _ = procedure_checks(session, patient, slips, timezone=ZONE,
                                       correcting=correcting)
        assert {DAP_SLIP, MINUTES_SLIP, DOSE_SLIP, DEXAMETHASONE_80} <= set(warnings)
        assert confirmation_errors(warnings, [], confirmed=False, reason=None)
        assert confirmation_errors(warnings, [], confirmed=True, reason=None) == {}
    usual = dataclasses.replace(slips, dap_mgy_cm2=300, fluoroscopy_time_s=45,
                                injectates=(InjectateInput("dexamethasone", 0.4, 2, 8),))
    assert procedure_checks(session, patient, usual, timezone=ZONE,
                            correcting=recorded.id) == ([], [])
