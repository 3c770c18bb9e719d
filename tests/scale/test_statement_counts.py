"""Every page and API list runs the same number of SQL statements for a study of 10 and
of 100 patients (no statement per row: issue "Registry scale")."""

from __future__ import annotations

from tests.scale.conftest import recorded, seed
from tests.scale.pages import client_for, pages


def _counts(app, clients, registry, study) -> dict[str, int]:
    counts = {}
    for who, url, headers in pages(registry, study):
        client_for(who, clients).get(url, headers=headers)  # once-a-day writes (token use)
        with recorded(app) as rec:
            response = client_for(who, clients).get(url, headers=headers)
        assert response.status_code == 200, (url, response.data[:300])
        counts[url] = len(rec.statements)
    return counts


def test_statements_per_page_do_not_grow_with_the_patients(app, as_physician, as_nurse):
    small = seed(app, {"BULK": 10})
    clients = {"physician": as_physician(), "nurse": as_nurse()}
    at_10 = _counts(app, clients, small, "BULK")
    seed(app, {"BULK": 90})  # the same study, now 100 patients
    at_100 = _counts(app, clients, small, "BULK")
    print(at_10)
    assert at_100 == at_10
    assert max(at_10.values()) <= 40, at_10
