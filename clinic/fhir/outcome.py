"""A FHIR OperationOutcome: how a FHIR address says what went wrong (pure)."""

from __future__ import annotations

from typing import Any

# the HTTP status -> the FHIR issue type (hl7.org/fhir/R4B/valueset-issue-type.html)
ISSUE_TYPES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
               405: "not-supported", 406: "not-supported", 409: "conflict",
               410: "deleted", 413: "too-long", 414: "too-long", 415: "not-supported",
               422: "invalid", 423: "lock-error", 429: "throttled"}


def issue_type(status: int) -> str:
    """The issue type of an HTTP error: 'exception' for a server error, else 'processing'
    for one the table does not name."""
    return ISSUE_TYPES.get(status, "exception" if status >= 500 else "processing")


def operation_outcome(status: int, message: str,
                      errors: dict[str, str] | None = None) -> dict[str, Any]:
    """The message as the first issue; each field's error an issue of its own, its field
    in ``expression`` (a fatal issue for a server error, an error otherwise)."""
    severity = "fatal" if status >= 500 else "error"
    code = issue_type(status)
    issues: list[dict[str, Any]] = [{"severity": severity, "code": code,
                                     "diagnostics": message or f"HTTP {status}"}]
    issues += [{"severity": severity, "code": code, "diagnostics": said,
                "expression": [field]} for field, said in (errors or {}).items()]
    return {"resourceType": "OperationOutcome", "issue": issues}
