"""The cohort view's analysis, cached per worker process and refreshed after writes.

Computing the outcome table (every score of the instrument, medians, tests, Friedman)
reads every patient of the study: seconds at 20,000 patients, tens of seconds at
200,000. The page therefore shows the last analysis computed for the same filters and
refreshes it in a background thread when the data have changed since (the stamp is the
id of the newest audit event: every clinical write is audited), saying so on the page
("as of … ; newer entries are being added"). Only the first view of a filter set after
the process starts waits for the computation. The study report (clinic.reports) never
uses this cache: it always reads the data as they are.

Why a cache in the process and not a table refreshed on write: the view has free
filters (site, modality, procedure type, level, dates), so there is no finite set of
tables to refresh on write; and refreshing inside the writing request would make every
nurse's save pay for a physician's view.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAX_ENTRIES = 64


@dataclass(frozen=True)
class Cached:
    value: Any
    stamp: Hashable  # the data version it was computed from
    computed_at: datetime
    stale: bool = False  # newer data exist; a refresh is running


class AnalysisCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[Hashable, Cached] = OrderedDict()
        self._refreshing: set[Hashable] = set()
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get(self, key: Hashable, stamp: Hashable, compute: Callable[[], Any],
            background: Callable[[Callable[[], None]], None] | None = None) -> Cached:
        """The analysis for ``key`` at data version ``stamp``: fresh from the cache, else
        the cached one marked stale while ``background`` recomputes it, else computed now.
        ``compute`` must open its own database session when run in the background."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                if hit.stamp == stamp:
                    return hit
                if background is not None:
                    if key not in self._refreshing:
                        self._refreshing.add(key)
                        background(lambda: self._refresh(key, stamp, compute))
                    return Cached(hit.value, hit.stamp, hit.computed_at, stale=True)
        return self._store(key, stamp, compute())

    def _refresh(self, key: Hashable, stamp: Hashable, compute: Callable[[], Any]) -> None:
        try:
            self._store(key, stamp, compute())
        finally:
            with self._lock:
                self._refreshing.discard(key)

    def _store(self, key: Hashable, stamp: Hashable, value: Any) -> Cached:
        entry = Cached(value, stamp, datetime.now(UTC))
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="cohort-refresh", daemon=True).start()
