"""The study's steroid cap per patient at entry (clinic.procedures.inputs.steroid_over_cap,
pure): methylprednisolone-equivalent, this procedure's steroid on top of the others'."""

from __future__ import annotations

from datetime import UTC, datetime

from clinic.procedures.inputs import InjectateInput, ProcedureInput, steroid_over_cap


def _procedure(*injectates: InjectateInput) -> ProcedureInput:
    return ProcedureInput(performed_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
                          modality="fluoroscopy", procedure_type="tfesi", punctures=1,
                          injectates=injectates)


DEX_8 = InjectateInput("dexamethasone", None, 2.0, 8.0)
MP_40 = InjectateInput("methylprednisolone_acetate", None, 1.0, 40.0)
LIDOCAINE = InjectateInput("lidocaine", 1.0, 2.0, None)


def test_the_message_gives_this_procedures_share_and_the_others():
    assert steroid_over_cap(_procedure(MP_40), (DEX_8,), 80) == [
        "Steroid over the study's cap of 80 mg per patient: 82.7 mg in methylprednisolone "
        "equivalents (40 here, 42.7 before)."]
    assert steroid_over_cap(_procedure(DEX_8, MP_40), (), 80)[0].endswith(
        ": 82.7 mg in methylprednisolone equivalents (82.7 here).")


def test_no_deviation_at_or_under_the_cap_without_a_cap_or_without_steroid():
    assert steroid_over_cap(_procedure(MP_40), (MP_40,), 80) == []  # 80: at the cap
    assert steroid_over_cap(_procedure(MP_40), (DEX_8,) * 9, None) == []
    assert steroid_over_cap(_procedure(LIDOCAINE), (DEX_8,) * 9, 80) == [], \
        "a procedure that gives no steroid does not exceed the cap"
