import pytest

from clinic.protocol.eligibility_rules import (
    SEED_TRIAL_CRITERIA,
    Criterion,
    CriterionKind,
    age_contradictions,
    evaluate,
)
from clinic.protocol.exceptions import EligibilityError, ProtocolError

INC = CriterionKind.INCLUSION
EXC = CriterionKind.EXCLUSION
CRITERIA = (
    Criterion("adult", INC, "Aged 18 or over"),
    Criterion("vas_5_plus", INC, "VAS >= 5"),
    Criterion("pregnancy", EXC, "Pregnancy"),
    Criterion("red_flags", EXC, "Red flags"),
)
ALL_GOOD = {"adult": True, "vas_5_plus": True, "pregnancy": False, "red_flags": False}


def test_eligible_when_inclusions_true_and_exclusions_false():
    result = evaluate(CRITERIA, ALL_GOOD)
    assert result.is_eligible
    assert result.failing == () and result.unanswered == ()
    assert result.is_complete


def test_failed_inclusion_and_present_exclusion_are_listed_in_order():
    answers = {**ALL_GOOD, "red_flags": True, "vas_5_plus": False}
    result = evaluate(CRITERIA, answers)
    assert not result.is_eligible
    assert [c.code for c in result.failing] == ["vas_5_plus", "red_flags"]
    assert result.is_complete


def test_unanswered_makes_not_eligible():
    answers = {"adult": True, "vas_5_plus": None, "pregnancy": False}  # red_flags absent
    result = evaluate(CRITERIA, answers)
    assert not result.is_eligible
    assert result.failing == ()
    assert [c.code for c in result.unanswered] == ["vas_5_plus", "red_flags"]
    assert not result.is_complete


def test_failing_and_unanswered_together():
    result = evaluate(CRITERIA, {"adult": False})
    assert [c.code for c in result.failing] == ["adult"]
    assert len(result.unanswered) == 3


@pytest.mark.parametrize("bad", ["yes", 1, 0, "true"])
def test_non_boolean_answer_refused(bad):
    with pytest.raises(EligibilityError, match="^adult: "):
        evaluate(CRITERIA, {**ALL_GOOD, "adult": bad})


def test_unknown_code_refused():
    with pytest.raises(EligibilityError, match="^pregnant: not a criterion"):
        evaluate(CRITERIA, {**ALL_GOOD, "pregnant": False})


def test_duplicated_criteria_refused():
    with pytest.raises(EligibilityError, match="duplicated"):
        evaluate((*CRITERIA, Criterion("adult", INC, "again")), ALL_GOOD)


def test_exceptions_are_value_errors():
    assert issubclass(EligibilityError, ProtocolError)
    assert issubclass(ProtocolError, ValueError)


def test_seed_trial_criteria():
    inclusion = [c.code for c in SEED_TRIAL_CRITERIA if c.kind is INC]
    exclusion = [c.code for c in SEED_TRIAL_CRITERIA if c.kind is EXC]
    assert inclusion == [
        "age_18_plus", "chronic_radicular_lbp", "flexion_pain_paresthesia", "vas_5_plus",
        "slr_positive_no_motor_deficit", "mri_disc_pathology",
    ]  # fmt: skip
    assert exclusion == [
        "progressive_motor_deficit", "over_3_degenerated_discs", "advanced_disc_pathology",
        "moderate_severe_stenosis", "prior_surgery_target_level", "deformity_or_fracture",
        "systemic_infection", "uncontrolled_comorbidity", "pregnancy", "red_flags",
    ]  # fmt: skip
    assert all(c.text for c in SEED_TRIAL_CRITERIA)


def test_seed_trial_typical_patient():
    answers = {c.code: c.kind is INC for c in SEED_TRIAL_CRITERIA}
    assert evaluate(SEED_TRIAL_CRITERIA, answers).is_eligible
    answers["advanced_disc_pathology"] = True  # e.g. sequestrated hernia
    result = evaluate(SEED_TRIAL_CRITERIA, answers)
    assert [c.code for c in result.failing] == ["advanced_disc_pathology"]


def test_a_yes_to_an_age_criterion_is_checked_against_the_age():
    adult = Criterion("adult", CriterionKind.INCLUSION, "Adult", age_at_least=18)
    band = Criterion("band", CriterionKind.INCLUSION, "Aged 40 to 70", 40, 70)
    exclusion = Criterion("old", CriterionKind.EXCLUSION, "Over 90")
    criteria = [adult, band, exclusion]
    yes = {"adult": True, "band": True, "old": False}
    assert age_contradictions(criteria, yes, [50]) == {}
    found = age_contradictions(criteria, yes, [16])
    assert found == {
        "adult": "The patient is 16 at enrollment: this criterion asks 18 years or older. "
                 "Answer no, or correct the age.",
        "band": "The patient is 16 at enrollment: this criterion asks 40 to 70 years. "
                "Answer no, or correct the age."}
    assert set(age_contradictions(criteria, yes, [71])) == {"band"}
    assert set(age_contradictions(criteria, yes, [17, 18])) == {"band"}, "17 or 18: may be 18"
    assert set(age_contradictions(criteria, yes, [16, 17])) == {"adult", "band"}
    assert age_contradictions(criteria, {"adult": False, "band": None}, [16]) == {}
    assert age_contradictions(criteria, yes, []) == {}, "no age entered: nothing to check"
