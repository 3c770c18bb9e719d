"""Controlled vocabularies of the domain (pure data; used by models, forms and reports).

Each catalog maps a stored code to the label people read. The database constrains
columns to these codes with CHECK constraints (see ``clinic.models.base.check_in``).
"""

from __future__ import annotations

import re
from datetime import date as _date

ROLES = {
    "nurse": "Research nurse",
    "physician": "Physician",
    "coordinator": "Study coordinator",
    "admin": "Administrator",
    "monitor": "Monitor",
}
# Roles that may read identifying and contact data (name, MRN, phone, e-mail).
ROLES_SEEING_IDENTITY = frozenset({"nurse", "coordinator", "admin"})
# Which roles each role may give to a login (create, edit, deactivate): nobody climbs
# above their own role, and only an administrator manages administrators.
ROLES_GRANTABLE_BY = {
    "admin": frozenset(ROLES),
    "coordinator": frozenset({"nurse", "physician", "coordinator", "monitor"}),
    "physician": frozenset(),
    "nurse": frozenset(),
    "monitor": frozenset(),
}

MODALITIES = {
    "fluoroscopy": "Fluoroscopy",
    "ct": "CT",
    "ultrasound": "Ultrasound",
    "us_mri_fusion": "Ultrasound–MRI fusion",
    "landmark": "Landmark (blind)",
    "dsa": "DSA",
    "cbct": "Cone-beam CT",
}
# Which radiation quantities each modality records. Angiographic systems (fluoroscopy,
# DSA, cone-beam CT) report dose-area product; CT scanners report CTDIvol and DLP.
MODALITIES_WITH_DAP = frozenset({"fluoroscopy", "dsa", "cbct"})
MODALITIES_WITH_CT_DOSE = frozenset({"ct"})

PROCEDURE_TYPES = {
    "tfesi": "Transforaminal epidural steroid injection",
    "prf_drg": "Pulsed radiofrequency of the dorsal root ganglion",
    "tfesi_prf": "TFESI with pulsed radiofrequency",
    "sij_injection": "Sacroiliac joint injection",
    "caudal_epidural": "Caudal epidural injection",
    "interlaminar_epidural": "Interlaminar epidural injection",
    "snrb": "Selective nerve root block",
    "paravertebral_block": "Paravertebral block",
    "facet_mbb": "Facet / medial branch block",
    "third_occipital": "Third occipital nerve block",
    "stellate_ganglion": "Stellate ganglion block",
    "peripheral": "Peripheral joint or nerve injection",
}

LEVELS = {
    **{f"C{i}-C{i + 1}": f"C{i}–C{i + 1}" for i in range(2, 7)},
    "C7-T1": "C7–T1",
    **{f"T{i}-T{i + 1}": f"T{i}–T{i + 1}" for i in range(1, 12)},
    "T12-L1": "T12–L1",
    **{f"L{i}-L{i + 1}": f"L{i}–L{i + 1}" for i in range(1, 5)},
    "L5-S1": "L5–S1",
    "SIJ": "Sacroiliac joint",
    "other": "Other",
}
SIDES = {"left": "Left", "right": "Right", "bilateral": "Bilateral", "midline": "Midline"}

ROOTS = ("L3", "L4", "L5")  # roots whose baseline laterality the seed trial records
# every spinal nerve root a study may ask the laterality of, in anatomical order
NERVE_ROOTS = (*(f"C{i}" for i in range(1, 9)), *(f"T{i}" for i in range(1, 13)),
               *(f"L{i}" for i in range(1, 6)), *(f"S{i}" for i in range(1, 6)))
MAX_ROOTS = 12
LATERALITY = {"none": "No", "unilateral": "Unilateral", "bilateral": "Bilateral"}

DRUGS = {
    "lidocaine": "Lidocaine",
    "bupivacaine": "Bupivacaine",
    "ropivacaine": "Ropivacaine",
    "dexamethasone": "Dexamethasone",
    "methylprednisolone_acetate": "Methylprednisolone acetate",
    "triamcinolone": "Triamcinolone",
    "betamethasone": "Betamethasone",
    "saline": "Saline",
    "other": "Other",
}
STEROIDS = frozenset(
    {"dexamethasone", "methylprednisolone_acetate", "triamcinolone", "betamethasone"}
)
# The steroid a study's cap per patient (Study.steroid_cap_mg) counts is the protocol's
# ``capped_steroid``, one of STEROIDS; different steroids' milligrams are never added up.
# Its default is the seed trial's: it gives "8 mg dexamethasone at each target level" and
# adds "methylprednisolone acetate ... as needed, not exceeding 80 mg per patient"
# (Methods), so the regimen's dexamethasone is not capped. Studies made before the field
# existed keep that meaning.
DEFAULT_CAPPED_STEROID = "methylprednisolone_acetate"

SEXES = {"female": "Female", "male": "Male", "other": "Other"}

ADVERSE_EVENT_TYPES = {
    "abscess": "Abscess",
    "discitis_neuritis": "Discitis / neuritis",
    "hematoma": "Hematoma",
    "vasovagal": "Vasovagal reaction",
    "transient_headache": "Transient headache",
    "facial_flushing": "Facial flushing",
    "transient_dizziness": "Transient dizziness",
    "transient_limb_weakness": "Transient limb weakness",
    "intravascular_injection": "Intravascular injection",
    "intrathecal_injection": "Intrathecal injection",
    "dural_puncture": "Dural puncture",
    "contrast_reaction": "Contrast reaction",
    "other": "Other",
}
SEVERITIES = {"mild": "Mild", "moderate": "Moderate", "severe": "Severe",
              "life_threatening": "Life-threatening"}

STUDY_STATUSES = {"planning": "Draft", "recruiting": "Recruiting",
                  "follow_up": "Follow-up only", "closed": "Closed"}
ENROLLMENT_STATUSES = {"enrolled": "Enrolled", "withdrawn": "Withdrawn",
                       "completed": "Completed"}
ASSESSMENT_STATES = {"pending": "Pending", "completed": "Completed", "not_done": "Not done"}
COLLECTION_MODES = {"in_clinic": "In clinic", "phone": "Phone",
                    "self_report": "Patient self-report"}
# Languages of the patient's own pages (clinic/selfreport/wording/<code>.toml).
LANGUAGES = {"en": "English", "es": "Español (Spanish)"}
SECOND_FACTORS = {"none": "None: the link alone",
                  "birth_year": "Year of birth", "birth_date": "Date of birth"}
CRITERION_KINDS = {"inclusion": "Inclusion", "exclusion": "Exclusion"}
MEDICATION_CLASSES = {"opioid": "Opioid", "nsaid": "NSAID", "gabapentinoid": "Gabapentinoid"}
AUDIT_ACTIONS = {"create": "Created", "update": "Updated", "delete": "Deleted"}
LOCK_LEVELS = {"visit": "Visit", "patient": "Patient", "study": "Study (database lock)"}
SIGNATURE_MEANINGS = {"reviewed": "Reviewed", "approved": "Approved", "author": "Author"}
SIGNS_DATA = ("physician", "admin")  # physicians, the principal investigator among them
# Data queries: a question on one recorded value (clinic.queries)
QUERY_STATES = {"open": "Open", "answered": "Answered", "closed": "Closed"}
QUERY_STEPS = {"raised": "Raised", "answered": "Answered", "closed": "Closed",
               "reopened": "Re-opened"}
# the records a query can name, and the fields of each that can be queried
QUERY_TARGETS = {
    "patient": ("sex", "age_at_enrollment", "birth_year", "bmi", "diagnosis",
                "symptom_duration_months"),
    "procedure": ("performed_at", "modality", "punctures", "operative_time_min",
                  "dap_mgy_cm2", "fluoroscopy_time_s", "ctdivol_mgy", "dlp_mgy_cm",
                  "contrast_volume_ml", "needle_repositions"),
    "assessment": ("visit_on", "mode"),
    "score": ("value",),
    "score_section": ("value",),
    "adverse_event": ("event_type", "onset_on", "severity", "is_related", "resolved_on",
                      "notes"),
}
RAISES_QUERIES = ("monitor", "physician", "coordinator", "admin")
ANSWERS_QUERIES = ("nurse", "physician", "coordinator", "admin")
CLOSES_QUERIES = ("monitor", "coordinator", "admin")
UNLOCK_REASONS = {
    "query_correction": "A data query needs a correction",
    "late_data": "Data arrived late (a visit, a dose report)",
    "locked_in_error": "Locked in error",
    "regulatory_request": "Requested by a monitor, sponsor or regulator",
}

# Range of each instrument's stored value (the database checks these; None = no upper bound).
# Sectioned instruments (ODI, NDI) also store 10 section scores of 0-5 each.
SCORE_RANGES: dict[str, tuple[float, float | None]] = {
    "vas": (0, 10),
    "nrs": (0, 10),
    "odi": (0, 100),
    "ndi": (0, 100),
    "satisfaction_procedure": (1, 4),
    "satisfaction_results": (1, 4),
    "nsaid_reduction": (0, 100),
    "ome": (0, 100_000),
    "gabapentin": (0, 20_000),
}
SECTIONED_INSTRUMENTS = frozenset({"odi", "ndi"})
SECTION_MAX = 5
SECTION_COUNT = 10

# The plausible range of every number people enter, in the stored unit. Forms, the API
# (and its OpenAPI schema) and the database's CHECK constraints all use these bounds, so
# a value outside them (or inf / NaN) is refused with a message before it is stored.
NUMBER_BOUNDS: dict[str, tuple[float, float]] = {
    "age_at_enrollment": (0, 120),
    "age_at_least": (0, 120),  # an eligibility criterion's age limits
    "age_at_most": (0, 120),
    "birth_year": (1900, 2100),
    "bmi": (10, 80),
    "symptom_duration_months": (0, 1_200),
    "punctures": (1, 20),
    "contrast_volume_ml": (0, 500),
    "rf_temperature_c": (0, 95),
    "rf_frequency_hz": (0, 1_000),
    "rf_pulse_width_ms": (0, 1_000),
    "rf_duration_s": (0, 3_600),
    "dap_mgy_cm2": (0, 10_000_000),  # mGy·cm²; 10,000 Gy·cm² covers any angiography
    "fluoroscopy_time_s": (0, 36_000),
    "ctdivol_mgy": (0, 1_000),
    "dlp_mgy_cm": (0, 100_000),
    "operative_time_min": (0, 1_440),
    "needle_repositions": (0, 100),
    "concentration_pct": (0, 100),
    "volume_ml": (0, 200),  # injectate volume per level
    "dose_mg": (0, 10_000),
    "daily_dose_mg": (0, 100_000),
    "steroid_cap_mg": (0, 10_000),
}
# The largest value an INTEGER column holds on every engine (PostgreSQL: 32 bits).
INT_MAX = 2**31 - 1

# Every date the app stores lies in these years: a calendar's edge (0001, 9999) breaks
# date arithmetic (a follow-up six months after 9999-12-30 does not exist).
DATE_MIN, DATE_MAX = _date(1900, 1, 1), _date(2100, 12, 31)
# A procedure date is a real one: not before image-guided injections were recorded in
# this form, not more than a year ahead (a typo such as 2062 for 2026).
PROCEDURE_DATE_MIN = _date(1990, 1, 1)
PROCEDURE_DAYS_AHEAD_MAX = 366

SECURITY_EVENTS = {
    "login": "Logged in",
    "login_failed": "Log-in refused",
    "locked": "Locked after failed log-ins",
    "unlocked": "Unlocked by an administrator",
    "throttled": "Log-in refused: too many failures from this address",
    "logout": "Logged out",
    "session_expired": "Session ended (idle)",
    "sessions_ended": "All sessions ended",
    "password_changed": "Password changed",
    "password_reset_issued": "Password reset link issued",
    "password_reset_used": "Password reset with a link",
    "totp_enabled": "Two-step verification turned on",
    "totp_disabled": "Two-step verification turned off",
    "totp_failed": "Two-step code refused",
    "user_created": "Login created",
    "user_changed": "Login changed (role, site, name or studies monitored)",
    "user_deactivated": "Login deactivated",
    "user_reactivated": "Login reactivated",
    "token_created": "API token created",
    "token_revoked": "API token revoked",
}

# C0 controls but tab, LF and CR; DEL and C1 controls; the line and paragraph separators
# (U+2028/9: a line break no field shows as one); bidirectional embeddings,
# overrides, marks and isolates (U+202A–U+202E, U+200E/F, U+2066–U+2069); the zero-width
# space, the word joiner and the byte-order mark (U+200B, U+2060, U+FEFF), invisible and
# of no use in a field. Zero-width (non-)joiners stay: Persian, Indic and emoji need them.
HIDDEN_CHARACTERS = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200e\u200f"
                               "\u2028-\u202e\u2060\u2066-\u2069\ufeff]")
