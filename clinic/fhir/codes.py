"""Every code system, code and UCUM unit the FHIR export uses (pure data).

The guidance modality is a coded extension on Procedure, not a linked ImagingStudy: an
ImagingStudy stands for a set of stored images (a DICOM Study Instance UID, series,
instances), which the app does not hold; the modality used to guide the needle is a
property of the procedure. Its codes are DICOM's modality codes (CID 29) where one fits.
"""

from __future__ import annotations

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
BASE = "https://clinic.invalid/fhir"  # the app's own code systems and extensions
STUDY_CODE_SYSTEM = f"{BASE}/sid/study-code"
MRN_SYSTEM = f"{BASE}/sid/mrn"
PROCEDURE_TYPE_SYSTEM = f"{BASE}/CodeSystem/procedure-type"
LEVEL_SYSTEM = f"{BASE}/CodeSystem/spinal-level"
MODALITY_EXTENSION = f"{BASE}/StructureDefinition/guidance-modality"
QUESTIONNAIRE_URL = f"{BASE}/Questionnaire/{{instrument}}"
INSTRUMENT_SYSTEM = f"{BASE}/CodeSystem/instrument"  # those with no LOINC code
LIKERT_SYSTEM = f"{BASE}/CodeSystem/satisfaction"
EVENT_TYPE_SYSTEM = f"{BASE}/CodeSystem/adverse-event-type"
SEVERITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
OWN_SEVERITY_SYSTEM = f"{BASE}/CodeSystem/adverse-event-severity"  # life-threatening
OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
RELATEDNESS_SYSTEM = f"{BASE}/CodeSystem/related-to-procedure"
ANALGESIC_CLASS_SYSTEM = f"{BASE}/CodeSystem/analgesic-class"
HL7_SEVERITIES = frozenset({"mild", "moderate", "severe"})

# instrument -> (LOINC code, display, UCUM code, UCUM display)
SCORE_CODES = {
    "vas": ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
            "{score}", "score"),
    "nrs": ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
            "{score}", "score"),
    "odi": ("97909-6", "Oswestry Disability Index score", "%", "%"),
    "ndi": ("82226-2", "Neck Disability Index score", "%", "%"),
}
PANEL_CODES = {"odi": ("97908-8", "Oswestry Disability Index panel")}
DOSE_PANEL = ("73569-6", "Radiation exposure and protection information")
# procedure column -> (DICOM code, display, UCUM code)
DOSE_COMPONENTS = {
    "dap_mgy_cm2": ("113722", "Dose Area Product Total", "mGy.cm2"),
    "fluoroscopy_time_s": ("113730", "Total Fluoro Time", "s"),
    "ctdivol_mgy": ("113830", "Mean CTDIvol", "mGy"),
    "dlp_mgy_cm": ("113813", "CT Dose Length Product Total", "mGy.cm"),
}
# the app's modality -> (system, code, display)
MODALITY_CODES = {
    "fluoroscopy": (DICOM, "RF", "Radio Fluoroscopy"),
    "ct": (DICOM, "CT", "Computed Tomography"),
    "ultrasound": (DICOM, "US", "Ultrasound"),
    "us_mri_fusion": (DICOM, "US", "Ultrasound"),  # the needle is guided by ultrasound
    "dsa": (DICOM, "XA", "X-Ray Angiography"),
    "cbct": (DICOM, "XA", "X-Ray Angiography"),
    "landmark": (f"{BASE}/CodeSystem/guidance", "landmark", "Landmark (no imaging)"),
}

# the resource types served one at a time (``GET [base]/{type}/{id}``)
READABLE = ("Patient", "Procedure", "Observation", "QuestionnaireResponse", "AdverseEvent",
            "MedicationStatement", "Questionnaire")
