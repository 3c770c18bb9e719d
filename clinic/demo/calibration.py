"""Target distributions of the demo, taken from the seed trial (Bessar et al.).

Quantiles are (min, Q1, median, Q3, max): Q1, median and Q3 are the trial's printed
medians (IQR) from Tables 3 and 4; min and max are this product's assumptions.
Proportions are the trial's Tables 1, 2, 5 and 6. Arm "A" is fluoroscopy, "B" CT.
"""

from __future__ import annotations

Quantiles = tuple[float, float, float, float, float]

VAS: dict[str, dict[str, Quantiles]] = {
    "A": {"baseline": (5, 5, 6, 8, 10), "day_1": (1, 4, 4, 5, 8), "week_1": (0, 3, 4, 5, 8),
          "month_1": (0, 2, 3, 4, 7), "month_3": (0, 2, 3, 4, 7), "month_6": (0, 2, 2.5, 4, 7)},
    "B": {"baseline": (5, 5, 6, 8, 10), "day_1": (1, 4, 5, 6, 9), "week_1": (0, 3, 4, 5, 8),
          "month_1": (0, 3, 4, 5, 8), "month_3": (0, 2, 3, 4, 7), "month_6": (0, 2, 3, 4, 7)},
}
ODI: dict[str, dict[str, Quantiles]] = {
    "A": {"baseline": (10, 25, 32, 40, 70), "month_1": (4, 20, 24, 30, 60),
          "month_3": (2, 15, 20, 24, 50), "month_6": (0, 12, 15, 20, 44)},
    "B": {"baseline": (10, 24, 30, 35, 60), "month_1": (4, 17, 22, 30, 60),
          "month_3": (2, 15, 20, 24, 50), "month_6": (0, 12, 15, 20.5, 44)},
}
WITHIN_PATIENT_CORRELATION = 0.6

DAP_MGY_CM2: Quantiles = (120, 270.5, 352, 415, 900)  # Table 4, group A
DLP_MGY_CM: Quantiles = (120, 265, 347.5, 388.5, 800)  # Table 4, group B
SCAN_LENGTH_CM = (25.0, 45.0)  # CTDIvol = DLP / scan length (assumption)
FLUORO_TIME_S: Quantiles = (20, 40, 60, 90, 240)  # assumption
OPERATIVE_TIME_MIN: dict[str, Quantiles] = {"A": (10, 19, 22.5, 30, 60),
                                            "B": (10, 19, 23, 30, 60)}
NSAID_REDUCTION: dict[str, Quantiles] = {"A": (0, 60, 70, 80, 100), "B": (0, 50, 70, 80, 100)}

MALE = 0.45
AGE_MEAN, AGE_SD = 52.0, 9.5
BMI_MEAN, BMI_SD = 28.0, 4.0
LATERALITY = {  # root -> (none, unilateral, bilateral)
    "L3": (0.945, 0.0, 0.055), "L4": (0.205, 0.405, 0.39), "L5": (0.11, 0.445, 0.445)}
PUNCTURE_BINS = {(1, 2): 0.715, (3, 4): 0.23, (5, 6): 0.055}
SI_SIDE = {None: 0.235, "right": 0.20, "left": 0.135, "bilateral": 0.43}

COMPLICATIONS = {"A": {"abscess": 0.01},
                 "B": {"abscess": 0.01, "discitis_neuritis": 0.01, "hematoma": 0.02}}
EXTRAVASATION = 0.05
SATISFACTION_PROCEDURE = {"A": (0, 6, 63, 27), "B": (1, 6, 65, 25)}  # counts, levels 1-4
SATISFACTION_RESULTS = {"A": (1, 5, 49, 45), "B": (1, 6, 58, 35)}
OME_BEFORE = {"A": (0.04, 10.0), "B": (0.02, 10.0)}  # (share on opioids, mg/day)
OME_MONTH_1 = {"A": (0.0, 20.0), "B": (0.01, 20.0)}

# Follow-up behaviour (assumptions, not from the trial)
COMPLETION = {"baseline": 1.0, "day_1": 0.97, "week_1": 0.95, "month_1": 0.93,
              "month_3": 0.90, "month_6": 0.88}
NOT_DONE_SHARE_OF_MISSES = 0.25
SCREEN_FAILURE_RATE = 0.10
WITHDRAWAL_RATE = 0.02
PROCEDURE_SPREAD_DAYS = 270
