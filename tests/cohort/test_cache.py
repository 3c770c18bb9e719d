"""The cohort view's analysis cache: fresh while the data stay the same, the last result
marked stale (and recomputed once, in the background) after a write, and the page says
so; the view's numbers after the refresh are those of the new data."""

from __future__ import annotations

import re

from clinic.cohort.cache import AnalysisCache
from clinic.web import cohort as cohort_view
from tests.web.helpers import login, odi_form


def test_a_fresh_entry_is_served_and_a_stale_one_is_refreshed_once():
    cache, calls, jobs = AnalysisCache(), [], []

    def compute(value):
        def run():
            calls.append(value)
            return value
        return run

    assert cache.get("k", 1, compute("a")).value == "a"
    assert cache.get("k", 1, compute("never"), background=jobs.append).value == "a"
    stale = cache.get("k", 2, compute("b"), background=jobs.append)
    assert (stale.value, stale.stale) == ("a", True)
    again = cache.get("k", 2, compute("b"), background=jobs.append)
    assert again.stale and len(jobs) == 1, "one refresh at a time per key"
    jobs.pop()()
    fresh = cache.get("k", 2, compute("never"), background=jobs.append)
    assert (fresh.value, fresh.stale, calls) == ("b", False, ["a", "b"])


def test_the_cache_keeps_at_most_its_size():
    cache = AnalysisCache(max_entries=3)
    for key in range(5):
        cache.get(key, 0, lambda key=key: key)
    assert len(cache._entries) == 3 and set(cache._entries) == {2, 3, 4}


def test_the_page_says_its_figures_are_being_updated_after_a_write(client, clinic, monkeypatch):
    jobs = []
    monkeypatch.setattr(cohort_view, "in_thread", jobs.append)
    login(client, clinic.users["physician"])
    page = client.get("/cohort").get_data(as_text=True)
    assert "Newer entries are being added" not in page and not jobs
    nurse = client.application.test_client()
    login(nurse, clinic.users["nurse"])
    saved = nurse.post(f"/followup/{clinic.due.id}", data={
        "mode": "in_clinic", "vas": "4", "version": str(clinic.due.version),
        "satisfaction_results": "satisfied", **odi_form([2, 1, 2, 1, 1, 2, 1, 1, 2, 3])})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:300]
    stale = client.get("/cohort").get_data(as_text=True)
    assert "Newer entries are being added" in stale and len(jobs) == 1
    assert _n(stale) == _n(page)
    jobs.pop()()  # the background refresh
    fresh = client.get("/cohort").get_data(as_text=True)
    assert "Newer entries are being added" not in fresh
    assert _n(fresh) != _n(page), "the saved VAS is in the refreshed table"


def _n(page: str) -> list[str]:
    return re.findall(r"<td>(\d+) · ", page)
