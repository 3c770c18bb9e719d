"""Give back to the system the memory a large report has freed.

A report over 200,000 patients frees some 550 MiB when it is done with, but the
process keeps those pages resident: Arrow's allocator (mimalloc) holds freed memory
for its next allocation, and glibc's malloc returns freed memory to the system only in
part (see ``malloc_trim(3)``). A web worker that ran one large report job stayed at its
peak (about 870 MiB) until it was restarted, and its next report started from there.
``give_back_memory`` asks both allocators to return what is free; after a 200,000-patient
report the worker drops to about 300 MiB (``scripts/bench_report_versions.py``).

It walks the allocators' free lists, so it is called at the end of a report, not inside
its loops. Where there is no glibc (musl, macOS, Windows) the second step does nothing.
"""

from __future__ import annotations

import ctypes
import gc
import sys
from collections.abc import Callable
from functools import cache


def give_back_memory() -> None:
    gc.collect()  # the report's objects in cycles (it is built with the collector off)
    arrow = sys.modules.get("pyarrow")  # not imported here: only if a report used it
    if arrow is not None:
        arrow.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # a C library without it (musl)
        return None
