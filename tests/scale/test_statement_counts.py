"""Every page and API list runs no more SQL statements for a study of 100 patients than
for one of 10 (no statement per row: issue "Registry scale"). Fewer is allowed: the
worklist stops reading call groups once its page is full."""

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
    print(at_10, at_100)
    assert at_100.keys() == at_10.keys()
    grew = {url: (at_10[url], n) for url, n in at_100.items() if n > at_10[url]}
    assert not grew, grew
    assert max(at_10.values()) <= 40, at_10
