"""FHIR export: a patient's record as a Bundle, a study as bulk NDJSON (FHIR R4B models
of fhir.resources; see codes.py for every code and unit)."""
