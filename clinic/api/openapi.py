"""The OpenAPI 3.1 document, generated from the same pydantic models the API parses with."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from clinic.api.schemas import (
    AdverseEventEdit,
    AdverseEventOut,
    AssessmentOut,
    DoseImportOut,
    EffectSizeOut,
    ErrorOut,
    FhirBundle,
    FhirOperationOutcome,
    FhirResource,
    NotDoneIn,
    PatientOut,
    PatientPatch,
    ProcedureEdit,
    ProcedureIn,
    ProcedureOut,
    QueryIn,
    QueryOut,
    QueryStepIn,
    ScoresEdit,
    ScoresIn,
    StudyOut,
)
from clinic.catalog import INT_MAX
from clinic.fhir.codes import READABLE as FHIR_READABLE
from clinic.paging import DEFAULT_LIMIT, MAX_LIMIT
from clinic.protocol.document import ProtocolDocument

REF = "#/components/schemas/{model}"
QUERY: dict[str, list[dict[str, Any]]] = {
    "post /studies": [
        {"name": "draft", "in": "query", "required": False,
         "description": "true: create the study as a draft", "schema": {"type": "string",
                                                                      "enum": ["true", "false"]}},
    ],
    "get /patients": [
        {"name": "site", "in": "query", "required": False,
         "description": "A site's code (e.g. NORTH, any case) or id; a nurse always sees "
                        "her own site",
         "schema": {"type": "string", "maxLength": 40}},
        {"name": "code", "in": "query", "required": False,
         "description": "Part of the study code", "schema": {"type": "string", "maxLength": 30}},
        {"name": "study", "in": "query", "required": False,
         "description": "Only this study's patients (its code, e.g. DEMO)",
         "schema": {"type": "string", "maxLength": 40}},
        {"name": "limit", "in": "query", "required": False,
         "description": "Patients per page (study-code order)",
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT}},
        {"name": "cursor", "in": "query", "required": False,
         "description": "Where the page starts: the cursor from the previous page's "
                        "Link header (rel=\"next\"); none for the first page",
         "schema": {"type": "string", "maxLength": 400}},
    ],
}
QUERY["get /queries"] = [
    {"name": "status", "in": "query", "required": False, "description": "open, answered or "
     "closed (none: every status)", "schema": {"type": "string",
                                              "enum": ["open", "answered", "closed"]}},
    {"name": "patient", "in": "query", "required": False,
     "description": "A patient's study code (e.g. DEMO-0001; with study= when two studies "
                    "use it) or id",
     "schema": {"type": "string", "maxLength": 30}},
    *QUERY["get /patients"][:1],
    {**QUERY["get /patients"][2], "description": "Only this study's queries (its code)"},
    {**QUERY["get /patients"][3], "description": "Queries per page (newest first)"},
    QUERY["get /patients"][4]]
QUERY["get /fhir/Patient/{patient_id}/$everything"] = [
    {"name": "identity", "in": "query", "required": False,
     "description": "true: add name and MRN (roles that may see identity only)",
     "schema": {"type": "string", "enum": ["true", "false"]}}]
QUERY["get /fhir/{resource_type}/{resource_id}"] = [
    {**QUERY["get /fhir/Patient/{patient_id}/$everything"][0],
     "description": "true: add name and MRN to a Patient (roles that may see identity "
                    "only)"}]
# bodies that are files, not JSON
BINARY_BODIES = {"post /procedures/{procedure_id}/dose-report": {"required": True, "content": {
    "application/dicom": {"schema": {"type": "string", "format": "binary"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}}}}}}}
FHIR_PATHS = {"get /fhir/Patient/{patient_id}/$everything",
              "get /fhir/{resource_type}/{resource_id}"}
# lists served a page at a time: their 200 response carries the Link header
PAGED = {"get /patients", "get /queries"}
LINK_HEADER = {"Link": {"description": "RFC 8288 link to the next page "
                                       "(<…&cursor=…>; rel=\"next\"), absent on the last page",
                        "schema": {"type": "string"}}}
# (method, path, summary, request body, response model, is list, success status)
OPERATIONS: tuple[tuple[str, str, str, type[BaseModel] | None, type[BaseModel], bool, int], ...] = (
    ("get", "/patients", "List patients (a nurse sees her site)", None, PatientOut, True, 200),
    ("get", "/patients/{patient_id}", "Read a patient", None, PatientOut, False, 200),
    ("patch", "/patients/{patient_id}", "Correct baseline data (version + reason)",
     PatientPatch, PatientOut, False, 200),
    ("get", "/patients/{patient_id}/procedures", "List procedures", None, ProcedureOut, True, 200),
    ("post", "/patients/{patient_id}/procedures", "Record a procedure", ProcedureIn,
     ProcedureOut, False, 201),
    ("put", "/procedures/{procedure_id}", "Correct a recorded procedure (version + reason)",
     ProcedureEdit, ProcedureOut, False, 200),
    ("get", "/patients/{patient_id}/assessments", "Follow-up schedule with derived status",
     None, AssessmentOut, True, 200),
    ("get", "/assessments/{assessment_id}", "Read an assessment and its scores", None,
     AssessmentOut, False, 200),
    ("post", "/assessments/{assessment_id}/scores",
     "Record the follow-up: scores, medication and an adverse event, all or nothing",
     ScoresIn, AssessmentOut, False, 201),
    ("put", "/assessments/{assessment_id}/scores", "Correct recorded scores (version + reason)",
     ScoresEdit, AssessmentOut, False, 200),
    ("post", "/assessments/{assessment_id}/not-done", "Mark the follow-up not done (reason)",
     NotDoneIn, AssessmentOut, False, 200),
    ("post", "/assessments/{assessment_id}/reopen",
     "Reopen a follow-up marked not done (version + reason); then record it",
     NotDoneIn, AssessmentOut, False, 200),
    ("get", "/patients/{patient_id}/adverse-events", "List the patient's adverse events",
     None, AdverseEventOut, True, 200),
    ("put", "/adverse-events/{event_id}",
     "Follow an adverse event up: severity, relatedness, resolution (version + reason)",
     AdverseEventEdit, AdverseEventOut, False, 200),
    ("get", "/queries", "List data queries, newest first (a nurse sees her site's)", None,
     QueryOut, True, 200),
    ("get", "/queries/{query_id}", "Read a data query, its steps and the value now", None,
     QueryOut, False, 200),
    ("post", "/queries", "Raise a data query on a recorded value (monitors, physicians, "
     "coordinators, administrators)", QueryIn, QueryOut, False, 201),
    ("post", "/queries/{query_id}/answer", "Answer an open query (or correct the value "
     "with a reason, then answer)", QueryStepIn, QueryOut, False, 200),
    ("post", "/queries/{query_id}/close", "Close a query (monitors, coordinators, "
     "administrators)", QueryStepIn, QueryOut, False, 200),
    ("post", "/queries/{query_id}/reopen", "Re-open an answered or closed query, saying why",
     QueryStepIn, QueryOut, False, 200),
    ("get", "/studies", "List the studies", None, StudyOut, True, 200),
    ("post", "/studies", "Create a study from a protocol document (?draft=true: as a draft); "
     "coordinators and administrators", ProtocolDocument, StudyOut, False, 201),
    ("post", "/procedures/{procedure_id}/dose-report", "Import a DICOM Radiation Dose SR onto "
     "a procedure (201: new irradiation events; 200: all known already)", None,
     DoseImportOut, False, 201),
    ("get", "/fhir/Patient/{patient_id}/$everything", "The patient's record as a FHIR R4B "
     "Bundle (application/fhir+json; ?identity=true adds name and MRN for roles that see "
     "identity)", None, FhirBundle, False, 200),
    ("get", "/fhir/{resource_type}/{resource_id}", "One resource of a patient's FHIR record "
     "(each Bundle entry's fullUrl), or an instrument's Questionnaire (odi, ndi)", None,
     FhirResource, False, 200),
    ("get", "/studies/{code}/effect-sizes", "Effect sizes for meta-analysis per outcome, "
     "timepoint and comparison of arms (physicians, coordinators, administrators)", None,
     EffectSizeOut, True, 200),
    ("get", "/studies/{code}/protocol", "A study's protocol document (the protocol file as "
     "JSON)", None, ProtocolDocument, False, 200),
)


def _schemas() -> dict[str, Any]:
    models = ({op[3] for op in OPERATIONS if op[3]} | {op[4] for op in OPERATIONS}
              | {ErrorOut, FhirOperationOutcome})
    pairs = [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)]
    _keys, top = models_json_schema(pairs, ref_template=REF)  # type: ignore[arg-type]
    return top.get("$defs", {})


def _param(name: str) -> dict[str, Any]:
    if name == "code":
        return {"type": "string", "maxLength": 20, "pattern": "^[A-Z0-9][A-Z0-9_-]*$"}
    if name == "resource_type":
        return {"type": "string", "enum": list(FHIR_READABLE)}
    if name == "resource_id":  # a number, a prefix and a number (score-12), or odi/ndi
        return {"type": "string", "maxLength": 20, "pattern": "^[a-z0-9-]+$"}
    return {"type": "integer", "minimum": 0, "maximum": INT_MAX}


def _ref(model: type[BaseModel], many: bool = False) -> dict[str, Any]:
    ref = {"$ref": REF.format(model=model.__name__)}
    return {"type": "array", "items": ref} if many else ref


def _operation(summary: str, request: type[BaseModel] | None, response: type[BaseModel],
               many: bool, status: int, path: str, method: str) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": _ref(ErrorOut)}}}
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {str(status): {"description": "OK", "content": {
            "application/json": {"schema": _ref(response, many)}}},
            "401": {"description": "No, unknown or expired bearer token", **error},
            "403": {"description": "The token's role may not do this", **error},
            "404": {"description": "Not found (or not at the nurse's site)", **error},
            "default": {"description": "Any other error (405 with Allow, 413, 500 …), "
                                       "always as this JSON", **error}},
    }
    if f"{method} {path}" in PAGED:
        op["responses"][str(status)]["headers"] = LINK_HEADER
    params = [p.strip("{}") for p in path.split("/") if p.startswith("{")]
    op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": _param(p)}
                        for p in params] + QUERY.get(f"{method} {path}", [])
    if not op["parameters"]:
        del op["parameters"]
    if f"{method} {path}" in BINARY_BODIES:
        op["requestBody"] = BINARY_BODIES[f"{method} {path}"]
        op["responses"]["200"] = {"description": "Imported again: no new event",
                                  "content": op["responses"][str(status)]["content"]}
        op["responses"]["422"] = {"description": "Refused; field → message", **error}
        op["responses"]["423"] = {"description": "The record is locked", **error}
    if f"{method} {path}" in FHIR_PATHS:
        op["responses"][str(status)]["content"] = {"application/fhir+json": {
            "schema": _ref(response)}}
        outcome = {"application/fhir+json": {"schema": _ref(FhirOperationOutcome)}}
        for code, answer in op["responses"].items():
            if code != str(status):
                answer["content"] = outcome
    if request is not None:
        op["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _ref(request)}}}
        op["responses"]["409"] = {"description": "Changed by someone else since read", **error}
        op["responses"]["422"] = {"description": "Refused; field → message", **error}
    return op


def openapi_document(server_url: str = "/api/v1") -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for method, path, summary, request, response, many, status in OPERATIONS:
        paths.setdefault(path, {})[method] = _operation(summary, request, response, many,
                                                        status, path, method)
    return {
        "openapi": "3.1.0",
        "info": {"title": "clinic API", "version": "1",
                 "description": "Patients, procedures, assessments, scores and adverse "
                                "events. The same "
                                "validation and audit trail as the web forms."},
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": _schemas(), "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "A personal API token (Account → API tokens)."}}},
    }


def query_parameters(method: str, path: str) -> dict[str, dict[str, Any]]:
    """The query parameters the document declares for ``method`` on ``path`` (its
    OpenAPI form, ``/patients/{patient_id}``), each with its schema; HEAD reads as GET."""
    verb = "get" if method.lower() == "head" else method.lower()
    return {p["name"]: p["schema"] for p in QUERY.get(f"{verb} {path}", [])}


def query_names(method: str, path: str) -> frozenset[str]:
    return frozenset(query_parameters(method, path))
