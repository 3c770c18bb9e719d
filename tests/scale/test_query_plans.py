"""Every query of the registry's pages uses an index on the clinical tables: the test
records the SQL each page runs on a bulk-loaded study and asks the engine for its plan
(SQLite ``EXPLAIN QUERY PLAN``; PostgreSQL ``EXPLAIN`` with sequential scans, hash and
merge joins disabled, so that on a small test database it still picks index lookups
where any index can serve, and a scan left in the plan means none can). Scans of the
small configuration tables (studies, arms, timepoints, sites, users) are allowed.

A full scan is a read of every row of a clinical table (or of every visit in one
state, through an index on the state alone): SQLite ``SCAN t`` or ``SCAN t
USING INDEX`` (the index in order, then each row), PostgreSQL ``Seq Scan`` or an
``Index Scan`` with no condition on the index; the last two are allowed under a LIMIT
(keyset pages read an index in order and stop after a page). A pass over a covering
index alone (a count) is not a table scan."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import text

from clinic.db import get_engine
from tests.scale.conftest import recorded, seed
from tests.scale.pages import client_for, pages

CLINICAL = {
    "patient", "patient_identity", "enrollment", "screening", "root_laterality", "procedure",
    "procedure_target", "injectate", "assessment", "score", "score_section", "medication",
    "adverse_event", "audit_event", "reminder", "delivery_attempt", "self_report_message",
    "self_report", "self_report_event", "nurse_digest",
}
SQLITE_SCAN = re.compile(r"\bSCAN (\w+)(?! USING)")
SQLITE_INDEX_PASS = re.compile(r"\bSCAN (\w+) USING INDEX")
# an index searched on the visit state alone reads every pending (or completed) visit
SQLITE_STATE_ONLY = re.compile(r"\bSEARCH (\w+) USING (?:COVERING )?INDEX \w+ \(state=\?\)")
LIMITED = re.compile(r"\bLIMIT\b", re.IGNORECASE)


def _pg_scans(node: dict[str, Any], limited: bool = False) -> list[str]:
    """Clinical tables read whole in a PostgreSQL plan (JSON format)."""
    limited = limited or node["Node Type"] == "Limit"
    found = []
    table = node.get("Relation Name")
    whole = node["Node Type"] == "Seq Scan" or (
        node["Node Type"] == "Index Scan" and "Index Cond" not in node and not limited)
    if table in CLINICAL and whole:
        found.append(table)
    for child in node.get("Plans", []):
        found += _pg_scans(child, limited)
    return found


def _full_scans(app, engine_kind: str, statement: str, parameters) -> list[str]:
    engine = get_engine(app)
    with engine.connect() as connection:
        if engine_kind == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plan = "\n".join(str(row[-1]) for row in rows)
            found = SQLITE_SCAN.findall(plan) + SQLITE_STATE_ONLY.findall(plan)
            if not LIMITED.search(statement):
                found += SQLITE_INDEX_PASS.findall(plan)
        else:
            for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin"):
                connection.execute(text(f"SET {setting} = off"))
            rows = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
            document = rows.scalar_one()
            tree = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
            plan = json.dumps(tree, indent=1)[:3000]
            found = _pg_scans(tree)
            connection.rollback()
    return [f"{table}: {plan}" for table in found if table in CLINICAL]


def test_no_page_scans_a_clinical_table(app, engine_kind, as_physician, as_nurse):
    registry = seed(app, {"BULK": 100})
    clients = {"physician": as_physician(), "nurse": as_nurse()}
    failures = []
    checked = 0
    for who, url, headers in pages(registry, "BULK"):
        with recorded(app) as rec:
            assert client_for(who, clients).get(url, headers=headers).status_code == 200, url
        for statement, parameters in rec.statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            checked += 1
            failures += [f"{url}\n  {statement}\n  {scan}"
                         for scan in _full_scans(app, engine_kind, statement, parameters)]
    assert checked > 50
    assert not failures, "\n\n".join(failures)


def test_an_enrollments_study_code_check_is_one_lookup(app, engine_kind):
    """A new study code is checked against the study's codes in any case: through the
    index on upper(study_code), not by reading every patient of the study."""
    from sqlmodel import Session, select

    from clinic.enrollment.service import _check_code_free
    from clinic.exceptions import ValidationError
    from clinic.models import Patient

    registry = seed(app, {"BULK": 100})
    with Session(get_engine(app)) as session:
        taken = session.exec(select(Patient.study_code).where(
            Patient.id == registry.patient_id)).one()
        with recorded(app) as rec:
            try:
                _check_code_free(session, registry.study_ids["BULK"], taken.lower())
            except ValidationError as error:
                assert "already used" in error.errors["study_code"]
            else:
                raise AssertionError("a code used in another case is refused")
    [(statement, parameters)] = [s for s in rec.statements if "upper" in s[0].lower()]
    assert _full_scans(app, engine_kind, statement, parameters) == []
    # not a full scan, but without its index every patient of the study was read
    assert "ix_patient_study_code_upper" in _plan(app, engine_kind, statement, parameters)


def _plan(app, engine_kind: str, statement: str, parameters) -> str:
    with get_engine(app).connect() as connection:
        if engine_kind == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(str(row[-1]) for row in rows)
        rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(str(row[0]) for row in rows)
