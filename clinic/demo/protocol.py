"""The demo study's protocol: the seed trial's design (fluoroscopy vs CT, 1:1)."""

from __future__ import annotations

from clinic.protocol.allocation import SEED_TRIAL_STRATIFICATION
from clinic.protocol.definition import ArmDefinition, MeasureDefinition, StudyDefinition
from clinic.protocol.eligibility_rules import SEED_TRIAL_CRITERIA
from clinic.scheduling.windows import SEED_TRIAL_SCHEDULE
from clinic.selfreport.ladder import LadderSpec

FOLLOW_UPS = ("month_1", "month_3", "month_6")

DEMO_STUDY = StudyDefinition(
    code="DEMO",
    title="SYNTHETIC demo: CT- vs fluoroscopy-guided interventions for radicular low back pain",
    design="Randomized 1:1, stratified by number of punctures (1–2 / 3–4 / 5–6), "
           "permuted blocks of 2, 4 and 6; follow-up at 1 day, 1 week, 1, 3 and 6 months",
    arms=(
        ArmDefinition("A", "Group A: fluoroscopy-guided", "fluoroscopy"),
        ArmDefinition("B", "Group B: CT-guided", "ct"),
    ),
    timepoints=SEED_TRIAL_SCHEDULE,
    measures=(
        MeasureDefinition("vas"),
        MeasureDefinition("odi", ("baseline", *FOLLOW_UPS)),
        MeasureDefinition("satisfaction_procedure", ("week_1",)),
        MeasureDefinition("satisfaction_results", ("month_1",)),
        MeasureDefinition("nsaid_reduction", ("month_1",)),
        MeasureDefinition("ome", ("baseline", "month_1")),
    ),
    criteria=SEED_TRIAL_CRITERIA,
    strata=SEED_TRIAL_STRATIFICATION,
    block_multipliers=(1, 2, 3),
    # the seed trial's cap: methylprednisolone acetate "as needed, not exceeding 80 mg per
    # patient"; its 8 mg of dexamethasone per level is not capped
    steroid_cap_mg=80.0,
    capped_steroid="methylprednisolone_acetate",
    is_synthetic=True,
    consent_version="ICF 1.0 (synthetic)",
    self_report=LadderSpec(reminder_days=(0, 3, 7), call_after_days=10),
)
