"""The study's steroid cap per patient at entry (clinic.procedures.inputs.steroid_over_cap,
pure): it counts the steroid the protocol caps, methylprednisolone acetate as the seed
trial caps it ("added as needed, not exceeding 80 mg per patient", beside 8 mg
dexamethasone per level, not capped), or another one a study names."""

from __future__ import annotations

from datetime import UTC, datetime

from clinic.procedures.inputs import InjectateInput, ProcedureInput, SteroidCap, steroid_over_cap


def _procedure(*injectates: InjectateInput) -> ProcedureInput:
    return ProcedureInput(performed_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
                          modality="fluoroscopy", procedure_type="tfesi", punctures=1,
                          injectates=injectates)


DEX_8 = InjectateInput("dexamethasone", None, 2.0, 8.0)
MP_40 = InjectateInput("methylprednisolone_acetate", None, 1.0, 40.0)
MP_60 = InjectateInput("methylprednisolone_acetate", None, 1.5, 60.0)
TRIAMCINOLONE_40 = InjectateInput("triamcinolone", None, 1.0, 40.0)
LIDOCAINE = InjectateInput("lidocaine", 1.0, 2.0, None)
CAP_80 = SteroidCap(80, "methylprednisolone_acetate")  # the seed trial's


def test_the_message_gives_this_procedures_share_and_the_others():
    assert steroid_over_cap(_procedure(MP_60), (MP_40, DEX_8), CAP_80) == [
        "Methylprednisolone acetate over the study's cap of 80 mg per patient: 100 mg in all "
        "(60 here, 40 before)."]
    assert steroid_over_cap(_procedure(MP_60, MP_40), (), CAP_80) == [
        "Methylprednisolone acetate over the study's cap of 80 mg per patient: 100 mg in all "
        "(100 here)."]


def test_the_regimens_dexamethasone_is_not_capped_nor_added_to_the_cap():
    """Found trying the screens as a new user would: the milligrams of different
    steroids were added up (dexamethasone 8 mg per level counted against the cap of
    methylprednisolone acetate)."""
    assert steroid_over_cap(_procedure(DEX_8, DEX_8, DEX_8, MP_40), (DEX_8,) * 4, CAP_80) == []
    assert steroid_over_cap(_procedure(DEX_8), (MP_40, MP_40, MP_40), CAP_80) == []


def test_no_deviation_at_the_cap_without_a_cap_or_without_the_capped_steroid():
    assert steroid_over_cap(_procedure(MP_40), (MP_40,), CAP_80) == []  # 80: at the cap
    assert steroid_over_cap(_procedure(MP_40), (MP_40,) * 9, None) == []
    assert steroid_over_cap(_procedure(LIDOCAINE), (MP_60, MP_60), CAP_80) == [], \
        "a procedure that gives none of it does not exceed the cap"


def test_a_study_capping_triamcinolone_counts_triamcinolone_only():
    """A clinic's own study caps triamcinolone: its milligrams are counted, and
    methylprednisolone acetate, the seed trial's capped steroid, is no longer."""
    cap = SteroidCap(60, "triamcinolone")
    assert steroid_over_cap(_procedure(TRIAMCINOLONE_40), (TRIAMCINOLONE_40, MP_60), cap) == [
        "Triamcinolone over the study's cap of 60 mg per patient: 80 mg in all (40 here, 40 "
        "before)."]
    assert steroid_over_cap(_procedure(MP_60, MP_40), (MP_60, TRIAMCINOLONE_40), cap) == []
