"""Schemathesis over the API's own OpenAPI document: thousands of generated requests (as
a coordinator and as a nurse, valid and not), 0 server errors, 0 answers outside the
document (status, content type, body schema)."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_wsgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import Session

from clinic.auth.tokens import create_token
from clinic.db import get_engine

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "70"))  # per operation and role:
# 13 operations x 2 roles x 70 = 1,820 requests in the suite (FUZZ_EXAMPLES=120: 3,120)
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance)


def _bearer(app, user) -> dict[str, str]:
    with Session(get_engine(app)) as session:
        _row, plain = create_token(session, user=user, name="schemathesis")
        session.commit()
    return {"Authorization": f"Bearer {plain}"}


def _real_ids(app, clinic) -> dict[str, int]:
    """Ids of records that exist, so that most requests reach the services."""
    from sqlmodel import select

    from clinic.models import AdverseEvent, Procedure
    from clinic.safety.service import record_adverse_event

    with Session(get_engine(app)) as session:
        procedure = session.exec(select(Procedure).where(
            Procedure.patient_id == clinic.patient.id)).first()
        event = record_adverse_event(session, patient=clinic.patient, event_type="hematoma",
                                     onset_on=procedure.performed_at.date(), severity="mild")
        session.commit()
        ids = {"patient_id": clinic.patient.id, "assessment_id": clinic.due.id,
               "procedure_id": procedure.id, "event_id": event.id}
        assert session.get(AdverseEvent, event.id) is not None
    return ids


def test_generated_requests_get_no_server_error_and_match_the_document(app, clinic):
    schema = from_wsgi("/api/v1/openapi.json", app)
    statuses: Counter[int] = Counter()
    real = _real_ids(app, clinic)
    def exercise(operation, headers: dict[str, str]) -> None:  # noqa: ANN001
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), derandomize=True)
        @given(case=operation.as_strategy(), existing=st.booleans())
        def call(case, existing: bool) -> None:  # noqa: ANN001
            if existing and case.path_parameters:
                case.path_parameters = {k: real.get(k, v)
                                        for k, v in case.path_parameters.items()}
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS)

        call()

    for role in ("coordinator", "nurse"):
        headers = _bearer(app, clinic.users[role])
        for result in schema.get_all_operations():
            exercise(result.ok(), headers)
    total = sum(statuses.values())
    print(f"\nschemathesis: {total} requests, by status {dict(sorted(statuses.items()))}, "
          f"5xx {sum(n for s, n in statuses.items() if s >= 500)}")
    assert total >= 2_000
    assert not [s for s in statuses if s >= 500]
