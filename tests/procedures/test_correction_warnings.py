"""A correction asks only about the warnings it brings in or changes. Found trying the
screens as a new user would: a dose confirmed at entry was asked about again when only
the operative time was corrected. A warning the recorded values raise was confirmed when
they were saved (a deviation: when its reason was given); one whose cause changed reads
otherwise (its values are in its words) and is asked anew."""

from __future__ import annotations

from dataclasses import replace

from clinic.procedures.checks import (
    confirmation_errors,
    procedure_checks,
    to_confirm,
    warning_key,
)
from clinic.procedures.corrections import recorded_input, settled_checks
from clinic.procedures.inputs import InjectateInput
from tests.factories import make_patient, make_procedure, make_study

ZONE = "Europe/Berlin"
DEXAMETHASONE_80 = ("Dexamethasone 80 mg in one injection is more than 20 mg: check the "
                    "dose and its unit.")
DAP_SLIP = ("DAP 1.2 mGy·cm²: lower than a fluoroscopy-guided injection gives (check the "
            "unit: 1.2 Gy·cm² is 1,200 mGy·cm²).")
NO_DAP = ("Fluoroscopy without a dose-area product (DAP): the radiation comparison will "
          "miss this procedure.")


def test_a_settled_point_is_not_asked_again_and_settles_one_of_its_kind():
    assert to_confirm(["a", "b"], ["d"]) == ["d", "a", "b"]
    assert to_confirm(["a", "b"], ["d"], settled=["a", "d"]) == ["b"]
    assert to_confirm(["a", "a"], [], settled=["a"]) == ["a"], "a second one is new"


def test_settled_points_need_no_confirmation_but_a_deviation_keeps_its_reason():
    assert confirmation_errors(["a"], [], confirmed=False, reason=None, settled=["a"]) == {}
    assert "confirm_warnings" in confirmation_errors(["a", "b"], [], confirmed=False,
                                                     reason=None, settled=["a"])
    # the form sends back the key of the one it asked about, not of the settled one
    assert confirmation_errors(["a", "b"], [], confirmed=True, reason=None,
                               shown=[warning_key("b")], settled=["a"]) == {}
    assert confirmation_errors([], ["d"], confirmed=False, reason="C-arm broken",
                               settled=["d"]) == {}
    assert "deviation_reason" in confirmation_errors([], ["d"], confirmed=False, reason=None,
                                                     settled=["d"])


def test_the_recorded_values_warnings_are_settled(session):
    patient, _ = make_patient(session, make_study(session))
    procedure = make_procedure(session, patient,
                               injectates=(InjectateInput("dexamethasone", dose_mg=80.0),))
    session.commit()
    assert DEXAMETHASONE_80 in settled_checks(session, patient, procedure, timezone=ZONE)
    assert settled_checks(session, patient, None, timezone=ZONE) == [], "a new procedure"
    recorded = recorded_input(session, procedure)
    settled = settled_checks(session, patient, procedure, timezone=ZONE)
    for data, asked in [
        (replace(recorded, operative_time_min=30.0), []),  # the dose as it was
        (replace(recorded, dap_mgy_cm2=1.2), [DAP_SLIP]),  # only what is new
        (replace(recorded, injectates=(InjectateInput("dexamethasone", dose_mg=60.0),)),
         [DEXAMETHASONE_80.replace("80", "60")]),  # the cause changed: asked anew
        (replace(recorded, injectates=recorded.injectates * 2), [DEXAMETHASONE_80]),
    ]:
        warnings, deviations = procedure_checks(session, patient, data, timezone=ZONE,
                                                correcting=procedure.id)
        assert to_confirm(warnings, deviations, settled) == asked


def test_a_recorded_deviation_is_settled_only_with_its_reason(session):
    patient, _ = make_patient(session, make_study(session))
    without = make_procedure(session, patient, dap_mgy_cm2=None)
    session.commit()
    assert NO_DAP not in settled_checks(session, patient, without, timezone=ZONE)
    without.deviation_reason = "The C-arm does not show the DAP"
    session.add(without)
    session.commit()
    assert NO_DAP in settled_checks(session, patient, without, timezone=ZONE)
