"""Controlled vocabularies of the domain (pure data; used by models, forms and reports).

Each catalog maps a stored code to the label people read. The database constrains
columns to these codes with CHECK constraints (see ``clinic.models.base.check_in``).
"""

from __future__ import annotations

ROLES = {
    "nurse": "Research nurse",
    "physician": "Physician",
    "coordinator": "Study coordinator",
    "admin": "Administrator",
}
# Roles that may read identifying and contact data (name, MRN, phone, e-mail).
ROLES_SEEING_IDENTITY = frozenset({"nurse", "coordinator", "admin"})

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

STUDY_STATUSES = {"planning": "Planning", "recruiting": "Recruiting",
                  "follow_up": "Follow-up only", "closed": "Closed"}
ENROLLMENT_STATUSES = {"enrolled": "Enrolled", "withdrawn": "Withdrawn",
                       "completed": "Completed"}
ASSESSMENT_STATES = {"pending": "Pending", "completed": "Completed", "not_done": "Not done"}
COLLECTION_MODES = {"in_clinic": "In clinic", "phone": "Phone",
                    "self_report": "Patient self-report"}
CRITERION_KINDS = {"inclusion": "Inclusion", "exclusion": "Exclusion"}
MEDICATION_CLASSES = {"opioid": "Opioid", "nsaid": "NSAID", "gabapentinoid": "Gabapentinoid"}
AUDIT_ACTIONS = {"create": "Created", "update": "Updated", "delete": "Deleted"}

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
    "ome": (0, None),
    "gabapentin": (0, None),
}
SECTIONED_INSTRUMENTS = frozenset({"odi", "ndi"})
SECTION_MAX = 5
SECTION_COUNT = 10
