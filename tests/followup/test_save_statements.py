"""A follow-up save is a short transaction with a bounded number of SQL statements: the
scores in one flush, the audit rows of each flush in one executemany.

Not met yet (issue "Registry scale"): the visit row is still updated twice (the version
claim of clinic.edits, then the completion), and SQLite gets one INSERT per score and
per ODI section (SQLAlchemy batches ORM inserts only where RETURNING keeps row order)."""

from __future__ import annotations

from tests.scale.conftest import recorded
from tests.web.helpers import login, odi_form

ODI = [2, 1, 2, 1, 1, 2, 1, 1, 2, 3]


def test_a_follow_up_save_runs_a_bounded_number_of_statements(client, clinic, app):
    login(client, clinic.users["nurse"])
    form = {"mode": "in_clinic", "vas": "4", "version": str(clinic.due.version),
            "satisfaction_results": "satisfied", **odi_form(ODI)}
    with recorded(app) as rec:
        response = client.post(f"/followup/{clinic.due.id}", data=form)
    assert response.status_code == 302
    statements = [s for s, _ in rec.statements]
    visit_updates = [s for s in statements if s.startswith("UPDATE assessment")]
    assert len(visit_updates) == 2, visit_updates  # claim + completion (see above)
    audit_writes = [s for s in statements if s.startswith("INSERT INTO audit_event")]
    assert len(audit_writes) <= 3, "one executemany per flush"
    assert len(statements) <= 42, len(statements)
